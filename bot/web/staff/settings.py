"""The staff dashboard's settings, from the environment: who may log in, the API token, sessions."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class StaffSettings:
    """Who may log in and how the API is protected; empty values disable those parts."""

    user: str = ""
    password_hash: str = ""
    api_token: str = ""
    session_hours: float = 8.0
    secure_cookie: bool = False

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
        return cls(
            user=env.get("DASHBOARD_USER", "").strip(),
            password_hash=password_hash,
            api_token=env.get("GAPS_API_TOKEN", "").strip(),
            session_hours=session_hours,
            secure_cookie=env.get("DASHBOARD_SECURE_COOKIE", "").strip().lower()
            in {"1", "true", "yes"},
        )
