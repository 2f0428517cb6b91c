"""How long personal data is kept: conversations in the tracker store, knowledge-gap records and
the question log.

``python -m bot.gaps purge`` (run at start-up by ``make run``; the web app also runs it once a day,
:mod:`bot.web.purge`) deletes tracker events older than ``TRACKER_RETENTION_DAYS`` (default 180)
from the database of ``TRACKER_DB_URL`` (Rasa's ``events`` table), gap records created more than
``GAPS_RETENTION_DAYS`` ago (default 365), and question log entries older than
``QUESTION_LOG_DAYS`` (default 180) from the gap store. Counts are logged, never contents.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from bot.gaps.model import gaps, utcnow
from bot.gaps.store import GapStore
from bot.questions.store import QuestionLog

DEFAULT_TRACKER_DAYS = 180
DEFAULT_GAPS_DAYS = 365
DEFAULT_QUESTION_LOG_DAYS = 180


@dataclass(frozen=True)
class Retention:
    tracker_days: int = DEFAULT_TRACKER_DAYS
    gaps_days: int = DEFAULT_GAPS_DAYS
    question_log_days: int = DEFAULT_QUESTION_LOG_DAYS

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Retention:
        def days(name: str, default: int) -> int:
            raw = environ.get(name, "").strip()
            if not raw:
                return default
            if not raw.isdigit() or int(raw) < 1:
                raise ValueError(f"{name} must be a whole number of days (1 or more), not {raw!r}")
            return int(raw)

        return cls(
            days("TRACKER_RETENTION_DAYS", DEFAULT_TRACKER_DAYS),
            days("GAPS_RETENTION_DAYS", DEFAULT_GAPS_DAYS),
            days("QUESTION_LOG_DAYS", DEFAULT_QUESTION_LOG_DAYS),
        )


def purge_tracker(url: str, days: int, now: dt.datetime | None = None) -> int:
    """Delete the tracker events older than ``days``; how many there were (0 without a table)."""
    now = now or utcnow()
    cutoff = (now - dt.timedelta(days=days)).replace(tzinfo=dt.timezone.utc).timestamp()
    engine = sa.create_engine(url, hide_parameters=True)
    try:
        if not sa.inspect(engine).has_table("events"):
            return 0
        events = sa.Table("events", sa.MetaData(), autoload_with=engine)
        with engine.begin() as conn:
            result = conn.execute(sa.delete(events).where(events.c.timestamp < cutoff))
        return int(result.rowcount or 0)
    finally:
        engine.dispose()


def purge_gaps(store: GapStore, days: int, now: dt.datetime | None = None) -> int:
    """Delete the gap records created more than ``days`` ago; how many there were."""
    cutoff = (now or utcnow()) - dt.timedelta(days=days)
    store.ensure_schema()
    with store.engine.begin() as conn:
        result = conn.execute(sa.delete(gaps).where(gaps.c.created_at < cutoff))
    return int(result.rowcount or 0)


@dataclass(frozen=True)
class Purged:
    events: int
    gaps: int
    questions: int


def purge_all(store: GapStore, retention: Retention, tracker_url: str = "") -> Purged:
    """Apply every retention period (the tracker's only when ``tracker_url`` is given)."""
    events = purge_tracker(tracker_url, retention.tracker_days) if tracker_url else 0
    gap_count = purge_gaps(store, retention.gaps_days)
    questions = QuestionLog(store).purge(retention.question_log_days)
    return Purged(events, gap_count, questions)
