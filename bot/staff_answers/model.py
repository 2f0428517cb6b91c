"""Staff answers: the tables (in the gap store's database, Alembic migration 0006) and the plain
records the store, the matcher and the dashboard share.

- :data:`staff_answers`: one row per answer: its state (published or not), its current version,
  who published and changed it, and how often the bot has used it;
- :data:`staff_answer_versions`: every version of the texts (Khmer and English), the source and
  its date, the optional related topic, who wrote it and when; editing adds a version;
- :data:`staff_answer_questions`: the questions the answer was written for (masked, as the gaps
  hold them), with the gap each came from: what a new message is compared with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bot.gaps.model import metadata

MAX_ANSWER_CHARS = 2000  # one Messenger text message; Telegram allows 4096
MAX_SOURCE_CHARS = 200
MAX_QUESTIONS = 200
PUBLISHED, UNPUBLISHED = "published", "unpublished"

staff_answers = sa.Table(
    "staff_answers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),  # UTC
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_used_at", sa.DateTime, nullable=True),
)

staff_answer_versions = sa.Table(
    "staff_answer_versions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("answer_id", sa.Integer, sa.ForeignKey("staff_answers.id"), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("text_en", sa.Text, nullable=False),
    sa.Column("text_km", sa.Text, nullable=False),
    sa.Column("source_name", sa.String(MAX_SOURCE_CHARS), nullable=False),
    sa.Column("source_date", sa.Date, nullable=False),
    sa.Column("topic", sa.String(64), nullable=False, server_default=""),
    sa.Column("author", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("answer_id", "version", name="uq_staff_answer_versions_answer_version"),
)

staff_answer_questions = sa.Table(
    "staff_answer_questions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column(
        "answer_id", sa.Integer, sa.ForeignKey("staff_answers.id"), nullable=False, index=True
    ),
    sa.Column("gap_id", sa.Integer, nullable=True),
    sa.Column("text", sa.Text, nullable=False),  # masked, as in the gaps table
    sa.Column("language", sa.String(8), nullable=False),
)


@dataclass(frozen=True)
class Draft:
    """What staff write: the answer in both languages, its source and date, a related topic."""

    en: str
    km: str
    source_name: str
    source_date: dt.date | None
    topic: str = ""

    def problems(self, topics: tuple[str, ...] = ()) -> dict[str, str]:
        """Field → what is wrong (``answer.en``, ``answer.km``, ``source.name``,
        ``source.date``, ``topic``); empty when the draft can be published."""
        found: dict[str, str] = {}
        for name, value in (("answer.en", self.en), ("answer.km", self.km)):
            if not value.strip():
                found[name] = "missing"
            elif len(value.strip()) > MAX_ANSWER_CHARS:
                found[name] = "too_long"
        if not self.source_name.strip():
            found["source.name"] = "missing"
        elif len(self.source_name.strip()) > MAX_SOURCE_CHARS:
            found["source.name"] = "too_long"
        if self.source_date is None:
            found["source.date"] = "missing"
        elif self.source_date > dt.date.today() + dt.timedelta(days=1):
            found["source.date"] = "future"
        if self.topic and topics and self.topic not in topics:
            found["topic"] = "unknown"
        return found

    def cleaned(self) -> Draft:
        return Draft(
            self.en.strip().replace("\x00", ""),
            self.km.strip().replace("\x00", ""),
            " ".join(self.source_name.split()).replace("\x00", ""),
            self.source_date,
            self.topic.strip(),
        )


@dataclass(frozen=True)
class Question:
    """A question an answer was written for: masked text, its language, the gap it came from."""

    text: str
    language: str
    gap_id: int | None = None


@dataclass(frozen=True)
class StaffAnswer:
    """An answer with its current version and the questions it was written for."""

    id: int
    status: str
    version: int
    draft: Draft
    created_at: dt.datetime
    created_by: str
    updated_at: dt.datetime
    updated_by: str
    uses: int = 0
    last_used_at: dt.datetime | None = None
    questions: tuple[Question, ...] = field(default=())

    @property
    def published(self) -> bool:
        return self.status == PUBLISHED

    def text(self, lang: str) -> str:
        return self.draft.km if lang == "km" else self.draft.en

    def fingerprint(self) -> tuple[Any, ...]:
        """What the matcher depends on: it is rebuilt only when this changes."""
        return (self.id, self.version, self.status, self.questions)


@dataclass(frozen=True)
class Version:
    """One version of an answer's texts, as staff wrote it."""

    version: int
    draft: Draft
    author: str
    created_at: dt.datetime
