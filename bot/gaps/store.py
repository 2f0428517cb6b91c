"""Where gap records live: an SQL database (SQLAlchemy 1.4, 2.0-style) and a spool file.

``DATABASE_URL`` names the database (default: SQLite at ``var/gaps.db``; PostgreSQL with
``postgresql://user:password@host:5432/db``). The schema is created and upgraded by the Alembic
migrations in ``alembic/`` (:meth:`GapStore.migrate`, run at start-up by ``python -m bot.gaps
migrate``, and before the first write). The same database keeps the staff dashboard's log-in
sessions (:mod:`bot.web.sessions`, table ``staff_sessions``), through :attr:`GapStore.engine`.

A write that fails (database down, disk full, schema missing) never raises: the record is appended
to the spool file (``GAPS_SPOOL_FILE``, default ``var/gaps-spool.jsonl``, one JSON record per line)
and the spool is replayed after the next successful write and at start-up. Records carry a unique
``uid``, so a replay never inserts a record twice. The spool holds masked records only. A record
the database refuses for what it holds (not because it is down) goes to the dead-letter file beside
the spool (``….dead``), logged without its text, and never blocks the records after it.
"""

from __future__ import annotations

import builtins
import datetime as dt
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.model import (
    MAX_NOTE_CHARS,
    STATUSES,
    GapRecord,
    gaps,
    record_from_row,
    utcnow,
)
from bot.gaps.spool import Spool, transient

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{ROOT / 'var' / 'gaps.db'}"
DEFAULT_SPOOL = ROOT / "var" / "gaps-spool.jsonl"
ALEMBIC_INI = ROOT / "alembic.ini"
TALLY_COLUMNS = ("reason", "channel", "language", "status")
ALEMBIC_DIR = ROOT / "alembic"


def database_url(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    return env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL


def spool_path(environ: dict[str, str] | None = None) -> Path:
    env = os.environ if environ is None else environ
    raw = env.get("GAPS_SPOOL_FILE", "").strip()
    return Path(raw) if raw else DEFAULT_SPOOL


_MIGRATING = threading.Lock()


def alembic_config() -> Config:
    """The Alembic configuration of this database (``alembic.ini``, migrations in ``alembic/``)."""
    from alembic.config import Config

    config = Config(str(ALEMBIC_INI))
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    return config


@dataclass(frozen=True)
class GapFilters:
    """What the dashboard and the API may filter on; ``None`` means "any"."""

    since: dt.datetime | None = None
    until: dt.datetime | None = None
    channel: str | None = None
    language: str | None = None
    reason: str | None = None
    statuses: tuple[str, ...] | None = None
    search: str | None = None
    ids: tuple[int, ...] | None = None

    def where(self) -> list[Any]:
        clauses: list[Any] = []
        if self.since is not None:
            clauses.append(gaps.c.created_at >= self.since)
        if self.until is not None:
            clauses.append(gaps.c.created_at < self.until)
        for column, value in (
            (gaps.c.channel, self.channel),
            (gaps.c.language, self.language),
            (gaps.c.reason, self.reason),
        ):
            if value:
                clauses.append(column == value)
        if self.statuses:
            clauses.append(gaps.c.status.in_(self.statuses))
        if self.search:
            needle = self.search.lower()
            clauses.append(sa.func.lower(gaps.c.text).contains(needle, autoescape=True))
        if self.ids is not None:
            clauses.append(gaps.c.id.in_(self.ids))
        return clauses


class GapStore:
    """Gap records in the database, with the spool as the fallback for writes."""

    def __init__(
        self,
        url: str | None = None,
        spool: Path | None = None,
        connect_args: dict[str, Any] | None = None,
    ) -> None:
        self.url = url or database_url()
        self.spool = Spool(spool or spool_path())
        self._connect_args = connect_args or {}
        self._engine: Engine | None = None
        self._migrated = False
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls) -> GapStore:
        return cls(database_url(), spool_path())

    @property
    def engine(self) -> Engine:
        """The engine, created on first use (never at import time)."""
        if self._engine is None:
            url = sa.engine.make_url(self.url)
            args = dict(self._connect_args)
            if url.get_backend_name() == "sqlite":
                args.setdefault("timeout", 5)
            else:
                args.setdefault("connect_timeout", 3)
            self._engine = sa.create_engine(url, future=True, pool_pre_ping=True, connect_args=args)
        return self._engine

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    # --- schema ----------------------------------------------------------------------------

    def upgrade(self, revision: str = "head") -> None:
        """Apply the Alembic migrations up to ``revision`` (nothing else). Raises on failure."""
        from alembic import command

        url = sa.engine.make_url(self.url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        config = alembic_config()
        # Alembic keeps the running migration in module globals: one migration at a time per
        # process (the gap writer thread and the dashboard may both migrate on first use).
        with _MIGRATING, self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

    def migrate(self) -> None:
        """Apply the Alembic migrations up to ``head``, then replay the spool. Raises on failure."""
        self.upgrade("head")
        self._migrated = True
        self.replay()

    def ensure_schema(self) -> None:
        """Migrate on first use (when the start-up migration did not run or failed)."""
        if not self._migrated:
            self.migrate()

    # --- writes ----------------------------------------------------------------------------

    def add(self, record: GapRecord) -> bool:
        """Store ``record``, else spool it; True if it reached the DB. After a successful write,
        records waiting in the spool are replayed."""

        def write() -> None:
            self.ensure_schema()
            self._insert([record])

        with self._lock:
            if not self.spool.write_or_keep(write, record, "gap store"):
                return False
            if self.spool.pending():
                self._replay_quietly()
            return True

    def replay(self) -> int:
        """Insert the spooled records that are not in the database yet; return how many."""
        with self.spool.locked():
            records = self.spool.read()
            if not records:
                return 0
            try:
                inserted = self._insert(records)
            except Exception as exc:
                if transient(exc):
                    raise
                inserted = self._insert_one_by_one(records)
            self.spool.clear()
        log.info("replayed %d spooled gap records (%d new)", len(records), inserted)
        return inserted

    def _replay_quietly(self) -> None:
        try:
            self.replay()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("spool replay failed (%s); will retry", type(exc).__name__)

    def _insert_one_by_one(self, records: Sequence[GapRecord]) -> int:
        """Insert each record alone: one the database refuses goes to the dead letters."""
        inserted = 0
        for record in records:
            try:
                inserted += self._insert([record])
            except Exception as exc:
                if transient(exc):
                    raise
                self.spool.dead_letter(record, exc)
        return inserted

    def _insert(self, records: Sequence[GapRecord]) -> int:
        """Insert the records whose uid is not stored yet, in one transaction."""
        uids = [r.uid for r in records]
        with self.engine.begin() as conn:
            existing = set(conn.scalars(sa.select(gaps.c.uid).where(gaps.c.uid.in_(uids))))
            fresh = {r.uid: r for r in records if r.uid not in existing}
            if fresh:
                conn.execute(sa.insert(gaps), [r.row() for r in fresh.values()])
        return len(fresh)

    def set_status(self, ids: Sequence[int], status: str, note: str = "") -> int:
        """Set the status of the given records (and the note, when one is given)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        if not ids:
            return 0
        values: dict[str, Any] = {"status": status, "updated_at": utcnow()}
        if note.strip():
            values["note"] = note.strip()[:MAX_NOTE_CHARS]
        self.ensure_schema()
        with self.engine.begin() as conn:
            result = conn.execute(sa.update(gaps).where(gaps.c.id.in_(list(ids))).values(values))
        return int(result.rowcount or 0)

    # --- reads -----------------------------------------------------------------------------

    def list(
        self, filters: GapFilters | None = None, limit: int | None = None, offset: int = 0
    ) -> list[GapRecord]:
        """Records matching ``filters``, newest first."""
        self.ensure_schema()
        query = sa.select(gaps).where(*(filters or GapFilters()).where())
        query = query.order_by(gaps.c.created_at.desc(), gaps.c.id.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            return [record_from_row(row) for row in conn.execute(query)]

    def page_after(
        self, filters: GapFilters, after: tuple[dt.datetime, int] | None, size: int
    ) -> builtins.list[GapRecord]:
        """Up to ``size`` records matching ``filters``, newest first, older than ``after`` (the
        ``created_at`` and ``id`` of the last record of the page before): a whole export read
        page by page, each in a short query, never all at once."""
        self.ensure_schema()
        query = sa.select(gaps).where(*filters.where())
        if after is not None:
            at, last_id = after
            query = query.where(
                sa.or_(
                    gaps.c.created_at < at, sa.and_(gaps.c.created_at == at, gaps.c.id < last_id)
                )
            )
        query = query.order_by(gaps.c.created_at.desc(), gaps.c.id.desc()).limit(size)
        with self.engine.connect() as conn:
            return [record_from_row(row) for row in conn.execute(query)]

    def count(self, filters: GapFilters | None = None) -> int:
        self.ensure_schema()
        query = sa.select(sa.func.count()).select_from(gaps)
        query = query.where(*(filters or GapFilters()).where())
        with self.engine.connect() as conn:
            return int(conn.scalar(query) or 0)

    def tally(self, column: str) -> builtins.list[tuple[str, int]]:
        """How many records have each value of ``column`` (reason, channel, language or status),
        most first; counted by the database."""
        if column not in TALLY_COLUMNS:
            raise ValueError(f"cannot count by {column!r}")
        self.ensure_schema()
        col = gaps.c[column]
        n = sa.func.count().label("n")
        query = sa.select(col, n).group_by(col).order_by(n.desc(), col)
        with self.engine.connect() as conn:
            return [(str(value), int(count)) for value, count in conn.execute(query)]

    def per_day(self, since: dt.datetime) -> dict[dt.date, int]:
        """Records created on each day from ``since`` on, counted by the database."""
        self.ensure_schema()
        day = sa.func.date(gaps.c.created_at).label("day")
        query = sa.select(day, sa.func.count()).where(gaps.c.created_at >= since).group_by(day)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        # SQLite gives the day as text, PostgreSQL as a date
        return {
            d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)): int(c) for d, c in rows
        }

    def get(self, gap_id: int) -> GapRecord | None:
        self.ensure_schema()
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(gaps).where(gaps.c.id == gap_id)).first()
        return record_from_row(row) if row is not None else None
