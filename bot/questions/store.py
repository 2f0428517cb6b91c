"""Where the question log lives: the gap store's database (table ``question_log``), with a spool
file of its own for the writes the database could not take.

:meth:`QuestionLog.add` keeps one entry per message and the strongest outcome of its turn
(:data:`bot.questions.model.RANK`); a write that fails because the database is away goes to
``questions-spool.jsonl`` beside the gap spool and is replayed after the next successful write,
and at start-up. :meth:`QuestionLog.counts` gives the figures of the Topics page and the monthly
report, counted by the database; :meth:`QuestionLog.purge` applies ``QUESTION_LOG_DAYS``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from bot.gaps.model import utcnow
from bot.gaps.spool import Spool, transient
from bot.gaps.store import GapStore
from bot.questions.model import RANK, STAFF_ANSWER, QuestionEntry, question_log

log = logging.getLogger(__name__)

SPOOL_NAME = "questions-spool.jsonl"


@dataclass(frozen=True)
class Count:
    """How many messages of one week, topic, outcome, reason, language and channel."""

    week: dt.date
    topic: str
    outcome: str
    reason: str
    language: str
    channel: str
    n: int


class QuestionLog:
    """The question log of one gap store's database."""

    def __init__(self, store: GapStore) -> None:
        self.store = store
        self.spool = Spool(store.spool.path.with_name(SPOOL_NAME), QuestionEntry.from_json)
        self._lock = threading.Lock()

    # --- writes ----------------------------------------------------------------------------

    def add(self, entry: QuestionEntry) -> bool:
        """Store ``entry`` (or raise the outcome of its message); spooled when the database is
        away. True if it reached the database."""

        def write() -> None:
            self.store.ensure_schema()
            with self.store.engine.begin() as conn:
                self._put(conn, entry)

        with self._lock:
            if not self.spool.write_or_keep(write, entry, "question log"):
                return False
            if self.spool.pending():
                self._replay_quietly()
            return True

    def replay(self) -> int:
        """Write the spooled entries; how many there were."""
        with self.spool.locked():
            entries = self.spool.read()
            if not entries:
                return 0
            for entry in entries:
                try:
                    with self.store.engine.begin() as conn:
                        self._put(conn, entry)
                except Exception as exc:
                    if transient(exc):
                        raise
                    self.spool.dead_letter(entry, exc)
            self.spool.clear()
        log.info("replayed %d spooled question log entries", len(entries))
        return len(entries)

    def _replay_quietly(self) -> None:
        try:
            self.replay()
        except (SQLAlchemyError, OSError) as exc:
            log.warning("question spool replay failed (%s); will retry", type(exc).__name__)

    def _put(self, conn: Connection, entry: QuestionEntry) -> None:
        """Insert the entry, or give its message the entry's outcome if that one is stronger."""
        for _ in range(2):
            stored = conn.execute(
                sa.select(question_log.c.outcome).where(question_log.c.uid == entry.uid)
            ).scalar()
            if stored is None:
                try:
                    with conn.begin_nested():
                        conn.execute(sa.insert(question_log).values(entry.row()))
                    return
                except IntegrityError:  # another replica logged the same message just now
                    continue
            if RANK.get(str(stored), -1) < entry.rank:
                values = {k: entry.row()[k] for k in ("outcome", "topic", "reason", "answer_id")}
                conn.execute(
                    sa.update(question_log).where(question_log.c.uid == entry.uid).values(values)
                )
            return

    def purge(self, days: int, now: dt.datetime | None = None) -> int:
        """Delete the entries older than ``days``; how many there were."""
        cutoff = (now or utcnow()) - dt.timedelta(days=days)
        self.store.ensure_schema()
        with self.store.engine.begin() as conn:
            result = conn.execute(sa.delete(question_log).where(question_log.c.created_at < cutoff))
        return int(result.rowcount or 0)

    # --- reads -----------------------------------------------------------------------------

    def counts(
        self,
        since: dt.datetime,
        until: dt.datetime | None = None,
        language: str | None = None,
        channel: str | None = None,
    ) -> list[Count]:
        """The messages from ``since`` (to ``until``), counted per week, topic, outcome, reason,
        language and channel by the database."""
        self.store.ensure_schema()
        q = question_log.c
        group = (q.week, q.topic, q.outcome, q.reason, q.language, q.channel)
        clauses = [q.created_at >= since]
        if until is not None:
            clauses.append(q.created_at < until)
        if language:
            clauses.append(q.language == language)
        if channel:
            clauses.append(q.channel == channel)
        query = sa.select(*group, sa.func.count()).where(*clauses).group_by(*group)
        with self.store.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            Count(
                week if isinstance(week, dt.date) else dt.date.fromisoformat(str(week)),
                str(topic),
                str(outcome),
                str(reason),
                str(lang),
                str(chan),
                int(n),
            )
            for week, topic, outcome, reason, lang, chan, n in rows
        ]

    def sent_answer(self, answer_id: int, limit: int = 50) -> list[QuestionEntry]:
        """The latest messages staff answer ``answer_id`` was sent for, newest first."""
        self.store.ensure_schema()
        q = question_log.c
        columns = [c for c in question_log.c if c.name not in ("id", "week")]
        query = (
            sa.select(*columns)
            .where(q.answer_id == answer_id, q.outcome == STAFF_ANSWER)
            .order_by(q.created_at.desc(), q.id.desc())
            .limit(limit)
        )
        with self.store.engine.connect() as conn:
            return [QuestionEntry(**dict(row)) for row in conn.execute(query).mappings()]

    def entries(self, uids: Sequence[str]) -> list[QuestionEntry]:
        """The stored entries with these uids (for tests and the replay's checks)."""
        self.store.ensure_schema()
        q = question_log.c
        columns = [c for c in question_log.c if c.name not in ("id", "week")]
        with self.store.engine.connect() as conn:
            rows = conn.execute(sa.select(*columns).where(q.uid.in_(list(uids)))).mappings()
            return [QuestionEntry(**dict(row)) for row in rows]
