"""Settings of the web chat, read from environment variables.

- ``WEB_HOST`` (default ``127.0.0.1``): address the web server listens on.
- ``WEB_PORT`` (default ``8000``): port the web server listens on.
- ``RASA_URL`` (default ``http://127.0.0.1:5005``): base URL of the Rasa server (REST channel).
- ``WEB_MAX_MESSAGE_CHARS`` (default ``2000``): longest message a user may send.
- ``WEB_RASA_TIMEOUT`` (default ``25``): seconds to wait for Rasa's answer.
- ``WEB_SECURE_COOKIE`` (default false): true when the chat is served over HTTPS (its
  conversation cookie is then sent over HTTPS only).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class WebSettings:
    """Everything the web app needs to know; immutable so it can be shared safely."""

    host: str = "127.0.0.1"
    port: int = 8000
    rasa_url: str = "http://127.0.0.1:5005"
    max_message_chars: int = 2000
    rasa_timeout_s: float = 8.0  # then an apology: never a user left waiting for long
    # messages a minute the chat API takes from one conversation / from one client address
    rate_per_conversation: int = 30
    rate_per_address: int = 120
    secure_cookie: bool = False

    def __post_init__(self) -> None:
        if not self.rasa_url.startswith(("http://", "https://")):
            raise ValueError(f"RASA_URL must start with http:// or https://, got {self.rasa_url!r}")
        # Normalise so that f"{rasa_url}/webhooks/..." never contains a double slash.
        object.__setattr__(self, "rasa_url", self.rasa_url.rstrip("/"))
        if not 0 < self.port < 65536:
            raise ValueError(f"WEB_PORT must be between 1 and 65535, got {self.port}")
        if self.max_message_chars < 1:
            raise ValueError(
                f"WEB_MAX_MESSAGE_CHARS must be positive, got {self.max_message_chars}"
            )
        if self.rasa_timeout_s <= 0:
            raise ValueError(f"WEB_RASA_TIMEOUT must be positive, got {self.rasa_timeout_s}")
        for name, value in (
            ("WEB_RATE_PER_CONVERSATION", self.rate_per_conversation),
            ("WEB_RATE_PER_ADDRESS", self.rate_per_address),
        ):
            if value < 1:
                raise ValueError(f"{name} must be at least 1 message a minute, got {value}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WebSettings:
        """Read the settings from ``environ`` (default ``os.environ``); unset or empty: default."""
        env = os.environ if environ is None else environ
        defaults = cls()

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def number(name: str, default: float, kind: type) -> float:
            raw = get(name)
            if raw is None:
                return default
            try:
                return kind(raw)
            except ValueError:
                raise ValueError(f"{name} must be a number, got {raw!r}") from None

        return cls(
            host=get("WEB_HOST") or defaults.host,
            port=int(number("WEB_PORT", defaults.port, int)),
            rasa_url=get("RASA_URL") or defaults.rasa_url,
            max_message_chars=int(number("WEB_MAX_MESSAGE_CHARS", defaults.max_message_chars, int)),
            rasa_timeout_s=float(number("WEB_RASA_TIMEOUT", defaults.rasa_timeout_s, float)),
            rate_per_conversation=int(
                number("WEB_RATE_PER_CONVERSATION", defaults.rate_per_conversation, int)
            ),
            rate_per_address=int(number("WEB_RATE_PER_ADDRESS", defaults.rate_per_address, int)),
            secure_cookie=(get("WEB_SECURE_COOKIE") or "").lower() in {"1", "true", "yes"},
        )
