"""The gap record: what was asked, why it went unanswered, and what staff did about it.

A record is plain data (:class:`GapRecord`); :data:`gaps` is its database table (SQLAlchemy Core,
created by the Alembic migrations in ``alembic/``). ``uid`` is chosen when the signal is captured,
so that writing a record twice (spool replay, retries) can never create a duplicate.

The same database (and :data:`metadata`) holds the dashboard's own tables, defined with the
dashboard in :mod:`bot.web.staff_db`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from bot import replies

REASON_NEGATIVE_FEEDBACK = "negative_feedback"
REASON_HUMAN_REQUESTED = "human_requested"
REASON_ELIGIBILITY_UNKNOWN = "eligibility_unknown"
# an NSSF question the knowledge does not answer (the aspect says what: a place, a refund, ...)
REASON_NOT_COVERED = "not_covered"
# the bot failed to answer (the action server hung or was down): the user got an apology
REASON_BOT_ERROR = "bot_error"
REASONS = (
    replies.REASON_LOW_CONFIDENCE,
    replies.REASON_OUT_OF_SCOPE,
    replies.REASON_DIALOGUE_FALLBACK,
    replies.REASON_REJECTED_SUGGESTIONS,
    REASON_NEGATIVE_FEEDBACK,
    REASON_HUMAN_REQUESTED,
    REASON_ELIGIBILITY_UNKNOWN,
    REASON_NOT_COVERED,
    REASON_BOT_ERROR,
)
STATUSES = ("new", "reviewing", "answered", "ignored")
OPEN_STATUSES = ("new", "reviewing")
MAX_TEXT_CHARS = 2000
MAX_NOTE_CHARS = 2000


def utcnow() -> dt.datetime:
    """Now in UTC, without tzinfo: what the database stores."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)


@dataclass(frozen=True)
class GapRecord:
    """One unanswered question, already masked and pseudonymised."""

    text: str
    reason: str
    language: str
    channel: str
    conversation: str
    intents: tuple[dict[str, Any], ...] = ()
    context: str = ""
    aspect: str = ""  # what the knowledge does not answer (data/lexicon/aspects.yml), if known
    status: str = "new"
    note: str = ""
    created_at: dt.datetime = field(default_factory=utcnow)
    updated_at: dt.datetime | None = None
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)
    id: int | None = None

    def __post_init__(self) -> None:
        if self.reason not in REASONS:
            raise ValueError(f"unknown gap reason {self.reason!r}")
        if self.status not in STATUSES:
            raise ValueError(f"unknown gap status {self.status!r}")

    @property
    def suggested_intent(self) -> str | None:
        """The likeliest intent the NLU saw, if any."""
        return self.intents[0]["name"] if self.intents else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (the spool's line format); :meth:`from_json` reads it back."""
        data = asdict(self)
        data["intents"] = list(self.intents)
        data["created_at"] = self.created_at.isoformat()
        data["updated_at"] = self.updated_at.isoformat() if self.updated_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> GapRecord:
        values = dict(data)
        values["intents"] = tuple(values.get("intents") or ())
        values["created_at"] = dt.datetime.fromisoformat(values["created_at"])
        if values.get("updated_at"):
            values["updated_at"] = dt.datetime.fromisoformat(values["updated_at"])
        return cls(**values)

    def row(self) -> dict[str, Any]:
        """The column values to insert (``id`` is left to the database), without what no
        database can store (a NUL character: PostgreSQL refuses any text holding one)."""
        data = asdict(replace(self, intents=()))
        data.pop("id")
        data["intents"] = [dict(i) for i in self.intents]
        return _storable(data)


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {k: _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


metadata = sa.MetaData()

gaps = sa.Table(
    "gaps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uid", sa.String(32), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),
    sa.Column("updated_at", sa.DateTime, nullable=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False, index=True),
    sa.Column("status", sa.String(16), nullable=False, index=True, server_default="new"),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("context", sa.Text, nullable=False, server_default=""),
    sa.Column("intents", sa.JSON, nullable=False),
    sa.Column("conversation", sa.String(64), nullable=False, index=True),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("aspect", sa.String(32), nullable=False, server_default=""),
)


def record_from_row(row: Any) -> GapRecord:
    m = row._mapping
    return GapRecord(
        id=m["id"],
        uid=m["uid"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
        channel=m["channel"],
        language=m["language"],
        reason=m["reason"],
        status=m["status"],
        text=m["text"],
        context=m["context"] or "",
        intents=tuple(m["intents"] or ()),
        conversation=m["conversation"],
        note=m["note"] or "",
        aspect=m["aspect"] or "",
    )
