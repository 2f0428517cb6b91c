"""Transactions of the dashboard's staff tables (log-in sessions, wrong passwords) in the gap
store's database: the schema is migrated on first use, and any database failure becomes one
:class:`StaffDatabaseUnavailable` (the caller answers 503 instead of falling back to memory).

These calls block: the dashboard runs them in a worker thread, never on the event loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.store import GapStore


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
