"""The dashboard's staff tables in the gap store's database, and their transactions: the schema is
migrated on first use, and any database failure becomes one :class:`StaffDatabaseUnavailable`
(the caller answers 503 instead of falling back to memory).

- :data:`staff_sessions`: the log-in sessions (:mod:`bot.web.sessions`), one row per session,
  keyed by the SHA-256 of its token, never the token;
- :data:`staff_login_failures`: the wrong passwords the log-in throttle counts
  (:mod:`bot.web.throttle`), one row per failure and key, with a keyed hash (HMAC) of the key (a
  client address or a user name), never the key itself;
- :data:`staff_preferences`: each staff member's dashboard language, by user name.

These calls block: the dashboard runs them in a worker thread, never on the event loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.model import metadata
from bot.gaps.store import GapStore

staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # hex SHA-256, never the token
    sa.Column("user_name", sa.String(100), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),  # UTC, like every time in the database
    sa.Column("expires_at", sa.DateTime, nullable=False, index=True),
)

staff_login_failures = sa.Table(
    "staff_login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key_hash", sa.String(64), nullable=False),  # hex SHA-256, never the address or name
    sa.Column("failed_at", sa.DateTime, nullable=False, index=True),  # UTC
    sa.Index("ix_staff_login_failures_key_hash_failed_at", "key_hash", "failed_at"),
)


staff_preferences = sa.Table(
    "staff_preferences",
    metadata,
    sa.Column("user_name", sa.String(100), primary_key=True),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),  # UTC
)


class StaffDatabaseUnavailable(Exception):
    """The database of the staff tables could not be reached (or migrated)."""


@contextlib.contextmanager
def transaction(
    store: GapStore, error: type[StaffDatabaseUnavailable] = StaffDatabaseUnavailable
) -> Iterator[Connection]:
    """One transaction on ``store``'s database; a database failure raises ``error``."""
    try:
        store.ensure_schema()
        with store.engine.begin() as conn:
            yield conn
    except (SQLAlchemyError, OSError) as exc:
        raise error(type(exc).__name__) from exc
