"""The dashboard's log-in throttle, kept in the gap store's database (``staff_login_failures``).

Wrong passwords are counted per key — the client's address (``ip:…``) and the user name typed
(``user:…``) — in a sliding window. Once an address has :data:`MAX_FAILURES` failures within
:data:`FAILURE_WINDOW_S`, log-in from it is refused (even with the right password) until enough of
them have left the window. A user name is never locked: over the limit, each further try waits a
delay that doubles with each failure, at most :data:`USER_DELAY_CAP_S`, so that someone guessing
the known user name from elsewhere slows the real user down by a minute at most instead of
locking them out. A successful log-in clears the failures of both its keys.

:meth:`LoginThrottle.attempt` checks and counts in one transaction that holds a lock on its keys
(PostgreSQL advisory locks; SQLite's write lock), so concurrent wrong passwords cannot all pass
the check before one of them is counted: each attempt is counted as a failure before the password
is checked, and a success clears it. The counts live in
the database, so every web process on it applies one shared limit and a restart does not reset it.

A key is personal data (an address, a name): the table keeps only its HMAC-SHA-256 (hex) under a
secret the web processes share (:func:`throttle_secret`, derived from ``GAPS_HMAC_KEY``), so that
a copy of the table does not allow guessing the addresses back; with the UTC wall-clock time of
the failure. Rows older than the window are deleted whenever a failure or a
success is written, and by a check at most every :data:`PURGE_EVERY`.

When the database cannot be reached every method raises :class:`ThrottleUnavailable`: there is no
fallback to memory, which would give each process a limit of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.gaps.model import utcnow
from bot.gaps.store import GapStore
from bot.web.staff_db import StaffDatabaseUnavailable, staff_login_failures, transaction

MAX_FAILURES = 5
FAILURE_WINDOW_S = 15 * 60
USER_DELAY_CAP_S = 60.0
PURGE_EVERY = dt.timedelta(minutes=10)

_failures = staff_login_failures.c


class ThrottleUnavailable(StaffDatabaseUnavailable):
    """The log-in throttle's database could not be reached (or migrated)."""


def throttle_secret(gaps_key: bytes) -> bytes:
    """The throttle's own secret, derived from the gap store's key (never used for both)."""
    return hmac.new(gaps_key, b"nssf staff login throttle", hashlib.sha256).digest()


def key_hash(key: str, secret: bytes) -> str:
    """What the table stores instead of a key (address or user name): its HMAC-SHA-256, in hex."""
    return hmac.new(secret, key.encode("utf-8"), hashlib.sha256).hexdigest()


class LoginThrottle:
    """Wrong passwords per key (client address, user name) in a sliding window, in the database."""

    def __init__(
        self,
        store: GapStore,
        secret: bytes,
        max_failures: int = MAX_FAILURES,
        window_s: float = FAILURE_WINDOW_S,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        if max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        if not secret:
            raise ValueError("the throttle needs a secret")
        self.store = store
        self._secret = secret
        self.max_failures = max_failures
        self.window = dt.timedelta(seconds=window_s)
        self.clock = clock
        self._next_purge: dt.datetime | None = None

    def retry_after(self, *keys: str) -> float:
        """Seconds until a log-in may be tried again for these keys (0 if allowed now)."""
        now = self.clock()
        with transaction(self.store, ThrottleUnavailable) as conn:
            if self._next_purge is None or now >= self._next_purge:
                self._purge(conn, now)
            return self._wait(conn, keys, now)

    def attempt(self, *keys: str) -> float:
        """Check and count one log-in attempt atomically: 0 when it may go on (it is counted as a
        failure until :meth:`succeeded` clears it), else the seconds to wait (not counted)."""
        now = self.clock()
        with transaction(self.store, ThrottleUnavailable) as conn:
            self._lock(conn, keys)
            self._purge(conn, now)  # a write first: SQLite holds its write lock from here
            wait = self._wait(conn, keys, now)
            if wait == 0 and keys:
                conn.execute(
                    sa.insert(staff_login_failures),
                    [{"key_hash": self._hash(key), "failed_at": now} for key in keys],
                )
        return wait

    def _lock(self, conn: Connection, keys: tuple[str, ...]) -> None:
        if conn.dialect.name != "postgresql":
            return
        for key in sorted(self._hash(k) for k in keys):  # one order: no deadlock
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": key})

    def _wait(self, conn: Connection, keys: tuple[str, ...], now: dt.datetime) -> float:
        since = now - self.window
        wait = 0.0
        for key in keys:
            recent = conn.scalars(
                sa.select(_failures.failed_at)
                .where(_failures.key_hash == self._hash(key), _failures.failed_at > since)
                .order_by(_failures.failed_at.desc())
            ).all()
            if len(recent) < self.max_failures:
                continue
            if key.startswith("user:"):
                # a user name is slowed down, never locked: 1 s, 2 s, 4 s ... up to the cap
                over = len(recent) - self.max_failures
                delay = min(USER_DELAY_CAP_S, 2.0**over)
                wait = max(wait, (recent[0] + dt.timedelta(seconds=delay) - now).total_seconds())
            else:
                # the oldest of the newest ``max_failures`` failures: once it has left the
                # window, fewer than ``max_failures`` remain in it
                blocking = recent[self.max_failures - 1]
                wait = max(wait, (blocking + self.window - now).total_seconds())
        return max(wait, 0.0)

    def failed(self, *keys: str) -> None:
        """Count one wrong password for each key (and delete the failures outside the window)."""
        now = self.clock()
        with transaction(self.store, ThrottleUnavailable) as conn:
            self._purge(conn, now)
            if keys:
                conn.execute(
                    sa.insert(staff_login_failures),
                    [{"key_hash": self._hash(key), "failed_at": now} for key in keys],
                )

    def succeeded(self, *keys: str) -> None:
        """Forget the failures of these keys after a successful log-in."""
        now = self.clock()
        with transaction(self.store, ThrottleUnavailable) as conn:
            self._purge(conn, now)
            if keys:
                hashes = [self._hash(key) for key in keys]
                conn.execute(sa.delete(staff_login_failures).where(_failures.key_hash.in_(hashes)))

    def _hash(self, key: str) -> str:
        return key_hash(key, self._secret)

    def purge_expired(self) -> int:
        """Delete every failure outside the window now; return how many there were."""
        with transaction(self.store, ThrottleUnavailable) as conn:
            return self._purge(conn, self.clock())

    def _purge(self, conn: Connection, now: dt.datetime) -> int:
        result = conn.execute(
            sa.delete(staff_login_failures).where(_failures.failed_at <= now - self.window)
        )
        self._next_purge = now + PURGE_EVERY
        return int(result.rowcount or 0)
