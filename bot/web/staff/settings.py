"""The staff dashboard's settings, from the environment: who may log in, the API token, sessions."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from bot.language import LANGUAGES, Lang

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class StaffSettings:
    """Who may log in and how the API is protected; empty values disable those parts."""

    user: str = ""
    password_hash: str = ""
    api_token: str = ""
    session_hours: float = 8.0
    secure_cookie: bool = False
    # the reverse proxies whose X-Forwarded-For is believed (TRUSTED_PROXIES: addresses or CIDRs)
    trusted_proxies: tuple[Network, ...] = ()
    # the dashboard's language for staff who have not chosen one (DASHBOARD_LANGUAGE)
    language: Lang = "km"

    @property
    def enabled(self) -> bool:
        return bool(self.user and self.password_hash)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StaffSettings:
        env = os.environ if environ is None else environ
        hours = env.get("DASHBOARD_SESSION_HOURS", "").strip() or "8"
        try:
            session_hours = float(hours)
        except ValueError:
            raise ValueError(f"DASHBOARD_SESSION_HOURS must be a number, got {hours!r}") from None
        password_hash = env.get("DASHBOARD_PASSWORD_HASH", "").strip()
        if password_hash and not password_hash.startswith("scrypt:"):
            raise ValueError("DASHBOARD_PASSWORD_HASH must come from `make staff-password`")
        language = env.get("DASHBOARD_LANGUAGE", "").strip() or "km"
        if language not in LANGUAGES:
            raise ValueError(f"DASHBOARD_LANGUAGE must be km or en, got {language!r}")
        return cls(
            language="en" if language == "en" else "km",
            user=env.get("DASHBOARD_USER", "").strip(),
            password_hash=password_hash,
            api_token=env.get("GAPS_API_TOKEN", "").strip(),
            session_hours=session_hours,
            secure_cookie=env.get("DASHBOARD_SECURE_COOKIE", "").strip().lower()
            in {"1", "true", "yes"},
            trusted_proxies=proxies(env.get("TRUSTED_PROXIES", "")),
        )


def proxies(raw: str) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES``: comma-separated addresses or networks (``10.0.0.0/8, ::1``)."""
    out = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXIES: {item!r} is not an address or network") from None
    return tuple(out)
