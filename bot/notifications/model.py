"""The ``notify_requests`` table (Alembic migration 0007) and its records: one row per person who
said yes to "Shall I message you when NSSF has an answer?".

States: ``waiting`` (no answer yet), ``pending`` (an answer was published; not delivered yet),
``sending`` (one process has claimed it, so that two web or Rasa replicas never send it twice; a
claim older than 10 minutes, of a process that died, is taken over), ``sent``, ``failed`` (the
platform refused for good), ``expired`` (90 days passed). The channel address is stored
encrypted (:mod:`bot.notifications.address`) and emptied in every end state.
The conversation is the same keyed hash as the gaps', never the raw id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from bot.gaps.model import metadata

WAITING, PENDING, SENDING = "waiting", "pending", "sending"
SENT, FAILED, EXPIRED = "sent", "failed", "expired"
STATES = (WAITING, PENDING, SENDING, SENT, FAILED, EXPIRED)
OPEN_STATES = (WAITING, PENDING, SENDING)
KEEP_DAYS = 90
CHANNELS = ("telegram", "messenger", "web")

notify_requests = sa.Table(
    "notify_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("gap_uid", sa.String(32), nullable=False, index=True),
    sa.Column("conversation", sa.String(64), nullable=False, index=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("address", sa.Text, nullable=False),  # encrypted; "" once no longer needed
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("answer_id", sa.Integer, nullable=True, index=True),
    sa.Column("asked_at", sa.DateTime, nullable=False),  # UTC, when the question was asked
    sa.Column("last_seen_at", sa.DateTime, nullable=False),  # the user's last message (UTC)
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.String(64), nullable=False, server_default=""),
)


@dataclass(frozen=True)
class Notification:
    """One request to be told, as the dashboard and the API show it (never the address)."""

    id: int
    gap_uid: str
    conversation: str
    channel: str
    language: str
    state: str
    answer_id: int | None
    asked_at: dt.datetime
    last_seen_at: dt.datetime
    updated_at: dt.datetime
    attempts: int = 0
    error: str = ""


@dataclass(frozen=True)
class Delivery:
    """A notification to send now: the request with its decrypted address."""

    request: Notification
    address: str
