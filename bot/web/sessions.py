"""Staff log-in sessions of the dashboard, kept in the gap store's database (``staff_sessions``).

The cookie carries a random token; the table keeps only its SHA-256 hash, with the user name, the
session's CSRF token and its creation and expiry times (UTC wall-clock). Sessions therefore
survive a restart of the web app and work across several web processes on one database. Logging
in again starts another session and leaves the others alone; logging out deletes the row.

Expired sessions are refused and deleted: every log-in deletes all expired rows, and so does a
look-up at most every :data:`PURGE_EVERY` (the row it finds expired is deleted at once).

When the database cannot be reached every method raises :class:`SessionsUnavailable`: there is no
fallback to memory, which would log staff in on one process only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.gaps.model import utcnow
from bot.gaps.store import GapStore
from bot.web.staff_db import StaffDatabaseUnavailable, staff_sessions, transaction

PURGE_EVERY = dt.timedelta(minutes=10)
MAX_TOKEN_CHARS = 200  # a token is 43 characters; anything much longer is not one of ours


class SessionsUnavailable(StaffDatabaseUnavailable):
    """The sessions' database could not be reached (or migrated)."""


@dataclass(frozen=True)
class Session:
    """One logged-in staff member: who, the CSRF token of their forms, and when it ends (UTC)."""

    user: str
    csrf: str
    expires_at: dt.datetime


def token_hash(token: str) -> str:
    """What the table stores instead of the token: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Sessions:
    """Logged-in staff, by random token, in the database of ``store``."""

    def __init__(
        self,
        store: GapStore,
        lifetime_s: float = 8 * 3600,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        self.store = store
        self.lifetime = dt.timedelta(seconds=lifetime_s)
        self.clock = clock
        self._next_purge: dt.datetime | None = None

    def _transaction(self) -> contextlib.AbstractContextManager[Connection]:
        return transaction(self.store, SessionsUnavailable)

    def create(self, user: str) -> tuple[str, Session]:
        """Start a session for ``user``; return the token for the cookie and the session."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        session = Session(user, secrets.token_urlsafe(32), now + self.lifetime)
        with self._transaction() as conn:
            self._purge(conn, now)
            conn.execute(
                sa.insert(staff_sessions).values(
                    token_hash=token_hash(token),
                    user_name=session.user,
                    csrf=session.csrf,
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
        return token, session

    def get(self, token: str | None) -> Session | None:
        """The live session of ``token``, or None (no token, unknown, ended or expired)."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return None
        key = token_hash(token)
        now = self.clock()
        with self._transaction() as conn:
            if self._next_purge is None or now >= self._next_purge:
                self._purge(conn, now)
            row = conn.execute(
                sa.select(staff_sessions).where(staff_sessions.c.token_hash == key)
            ).first()
            if row is None:
                return None
            if row.expires_at <= now:
                conn.execute(sa.delete(staff_sessions).where(staff_sessions.c.token_hash == key))
                return None
        return Session(row.user_name, row.csrf, row.expires_at)

    def end(self, token: str | None) -> None:
        """Log out: delete the session of ``token`` (nothing happens for an unknown one)."""
        if not token or len(token) > MAX_TOKEN_CHARS:
            return
        with self._transaction() as conn:
            conn.execute(
                sa.delete(staff_sessions).where(staff_sessions.c.token_hash == token_hash(token))
            )

    def purge_expired(self) -> int:
        """Delete every expired session now; return how many there were."""
        with self._transaction() as conn:
            return self._purge(conn, self.clock())

    def _purge(self, conn: Connection, now: dt.datetime) -> int:
        result = conn.execute(sa.delete(staff_sessions).where(staff_sessions.c.expires_at <= now))
        self._next_purge = now + PURGE_EVERY
        return int(result.rowcount or 0)
