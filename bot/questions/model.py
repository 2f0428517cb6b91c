"""One entry of the question log: a user message, masked and pseudonymised like a gap record,
with what became of it (its outcome).

Outcomes, from the weakest to the strongest signal: ``chat`` (greeting, thanks, the menu, a
language switch, a 👍), ``form`` (a step of an eligibility check or of the contribution
calculator), ``asked_back`` (the bot asked which topic was meant), ``answered`` (a topic's answer;
``topic`` says which), ``staff_answer`` (an answer staff wrote; ``answer_id``) and ``gap`` (the bot
could not answer; ``reason`` as in the gap records). Several actions may speak in one turn: the
entry keeps the strongest outcome (:data:`RANK`), so a greeting that hides an unanswered question
is counted as a gap, and a 👎 after an answer turns that answer's entry into a gap.

``uid`` is derived from the conversation key and Rasa's message id: every action of a turn
writes to the same entry, and a replay from the spool never counts a message twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from bot.gaps.model import MAX_TEXT_CHARS, metadata, utcnow

CHAT, FORM, ASKED_BACK, ANSWERED, STAFF_ANSWER, GAP = (
    "chat",
    "form",
    "asked_back",
    "answered",
    "staff_answer",
    "gap",
)
OUTCOMES = (CHAT, FORM, ASKED_BACK, ANSWERED, STAFF_ANSWER, GAP)
RANK = {outcome: rank for rank, outcome in enumerate(OUTCOMES)}
# what the Topics page and the report count as answered / not answered (chat is neither)
ANSWERED_OUTCOMES = (FORM, ANSWERED, STAFF_ANSWER)
UNANSWERED_OUTCOMES = (ASKED_BACK, GAP)
# the reason of a staff answer sent after the user said yes to it (the offer of a close one)
AFTER_YES = "after_yes"

question_log = sa.Table(
    "question_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("uid", sa.String(32), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False, index=True),  # UTC
    sa.Column("week", sa.Date, nullable=False, index=True),  # the Monday of created_at's week
    sa.Column("conversation", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("text", sa.Text, nullable=False),  # masked
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("topic", sa.String(64), nullable=False, server_default=""),
    sa.Column("reason", sa.String(32), nullable=False, server_default=""),
    sa.Column("answer_id", sa.Integer, nullable=True),
)


def week_of(moment: dt.datetime | dt.date) -> dt.date:
    """The Monday of the ISO week ``moment`` falls in."""
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    return day - dt.timedelta(days=day.weekday())


def entry_uid(conversation: str, message_id: str) -> str:
    """The entry's key for one message of one conversation (both already pseudonymous)."""
    return hashlib.sha256(f"{conversation}\x00{message_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class QuestionEntry:
    """One logged message, already masked and pseudonymised."""

    uid: str
    conversation: str
    channel: str
    language: str
    text: str
    outcome: str
    topic: str = ""
    reason: str = ""
    answer_id: int | None = None
    created_at: dt.datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if self.outcome not in RANK:
            raise ValueError(f"unknown outcome {self.outcome!r}")

    @property
    def rank(self) -> int:
        return RANK[self.outcome]

    def row(self) -> dict[str, Any]:
        values = asdict(self)
        values["text"] = self.text[:MAX_TEXT_CHARS]
        values["topic"] = self.topic[:64]
        values["reason"] = self.reason[:32]
        values["week"] = week_of(self.created_at)
        return values

    def to_json(self) -> dict[str, Any]:
        values = asdict(self)
        values["created_at"] = self.created_at.isoformat()
        return values

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QuestionEntry:
        values = dict(data)
        values["created_at"] = dt.datetime.fromisoformat(str(values["created_at"]))
        return cls(**values)
