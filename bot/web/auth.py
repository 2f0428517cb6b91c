"""Staff authentication for the dashboard: password hashes, token checks, login throttling.

- Passwords are checked against ``DASHBOARD_PASSWORD_HASH``, a scrypt hash written by
  ``python -m bot.web.auth`` (or ``make staff-password``); the password itself is never stored.
- Sessions are kept in the database (:mod:`bot.web.sessions`), so a restart does not log staff
  out; the cookie carries only a random token, the database only its SHA-256 hash.
- Every session has its own CSRF token; every form that changes something sends it back.
- Wrong passwords are throttled per client address and per user name: after
  :data:`MAX_FAILURES` failures within :data:`FAILURE_WINDOW_S`, logins are refused until the
  window has passed.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import sys
import time
from collections import deque
from dataclasses import dataclass, field

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5
FAILURE_WINDOW_S = 15 * 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt:N:r:p:salt:hash`` of ``password`` with a fresh random salt (unless one is given).

    The format has no ``$``, so ``.env`` files, make and docker compose read it unchanged.
    """
    if not password:
        raise ValueError("the password must not be empty")
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}:{_b64(salt)}:{_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """Whether ``password`` matches ``encoded`` (constant-time; False for a malformed hash)."""
    try:
        scheme, n, r, p, salt, expected = encoded.split(":")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            password.encode("utf-8"),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(_unb64(expected)),
            maxmem=64 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, _unb64(expected))


@dataclass
class LoginThrottle:
    """Counts wrong passwords per key (client address, user name) in a sliding window."""

    max_failures: int = MAX_FAILURES
    window_s: float = FAILURE_WINDOW_S
    _failures: dict[str, deque[float]] = field(default_factory=dict)

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and times[0] <= now - self.window_s:
            times.popleft()
        return times

    def retry_after(self, *keys: str) -> float:
        """Seconds until a login may be tried again for these keys (0 if allowed now)."""
        now = time.monotonic()
        wait = 0.0
        for key in keys:
            times = self._recent(key, now)
            if len(times) >= self.max_failures:
                wait = max(wait, times[0] + self.window_s - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        for key in keys:
            self._recent(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        for key in keys:
            self._failures.pop(key, None)


def same_token(given: str | None, expected: str) -> bool:
    return bool(given) and hmac.compare_digest(str(given), expected)


def main() -> None:
    """Print the hash of a password read from the terminal (or from stdin when piped)."""
    if sys.stdin.isatty():
        password = getpass.getpass("Staff password: ")
        if password != getpass.getpass("Again: "):
            sys.exit("The two passwords differ.")
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 10:
        sys.exit("Please choose a password of at least 10 characters.")
    print(hash_password(password))


if __name__ == "__main__":
    main()
