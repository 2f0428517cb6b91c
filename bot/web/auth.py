"""Staff passwords and tokens: scrypt password hashes and a constant-time token comparison.

Passwords are checked against ``DASHBOARD_PASSWORD_HASH``, a scrypt hash written by
``python -m bot.web.auth`` (or ``make staff-password``); the password itself is never stored.
The rest of the log-in lives beside it: sessions and their CSRF tokens in :mod:`bot.web.sessions`,
the throttle of wrong passwords in :mod:`bot.web.throttle`, the log-in pages in
:mod:`bot.web.staff.login`.
"""

from __future__ import annotations

import base64
import getpass
import hashlib
import hmac
import secrets
import sys

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**17, 8, 1  # 128 MiB and a few tenths of a second per check
SCRYPT_MAXMEM = 256 * 1024 * 1024


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
        password.encode("utf-8"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=32,
        maxmem=SCRYPT_MAXMEM,
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
            maxmem=SCRYPT_MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, _unb64(expected))


def same_token(given: str | None, expected: str) -> bool:
    """Whether ``given`` is ``expected`` (constant-time; False when nothing was given)."""
    if not given:
        return False
    # bytes: compare_digest refuses a str with non-ASCII letters (a forged header or form value)
    return hmac.compare_digest(
        str(given).encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )


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
