"""The requests to be told and their delivery state, in the gap store's database.

:meth:`NotifyStore.subscribe` is called by the action server when someone says yes;
:meth:`answered` when staff publish an answer for gaps (their requests become ``pending``);
:meth:`due` gives what to send, with the decrypted address; :meth:`sent` / :meth:`failed` end a
request and empty its address; :meth:`expire` ends requests older than 90 days. These calls
block (run them off the event loop); database errors reach the caller.
"""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from bot.gaps.model import gaps, utcnow
from bot.gaps.store import GapStore
from bot.notifications.address import AddressBox, AddressError
from bot.notifications.model import (
    EXPIRED,
    FAILED,
    KEEP_DAYS,
    OPEN_STATES,
    PENDING,
    SENDING,
    SENT,
    WAITING,
    Delivery,
    Notification,
    notify_requests,
)

MAX_ERROR_CHARS = 64
CLAIM_TIMEOUT = dt.timedelta(minutes=10)
t = notify_requests


class NotifyStore:
    def __init__(self, gap_store: GapStore, box: AddressBox) -> None:
        self.gap_store = gap_store
        self.box = box

    def _begin(self) -> Any:
        self.gap_store.ensure_schema()
        return self.gap_store.engine.begin()

    def subscribe(
        self, gap_uid: str, conversation: str, channel: str, address: str, language: str
    ) -> int:
        """Keep the address (encrypted) of someone who said yes, for the question ``gap_uid``."""
        now = utcnow()
        with self._begin() as conn:
            result = conn.execute(
                sa.insert(t).values(
                    gap_uid=gap_uid,
                    conversation=conversation,
                    channel=channel,
                    language=language,
                    address=self.box.seal(address),
                    state=WAITING,
                    asked_at=now,
                    last_seen_at=now,
                    updated_at=now,
                    attempts=0,
                    error="",
                )
            )
        return int(result.inserted_primary_key[0])

    def answered(self, answer_id: int, gap_ids: Sequence[int]) -> int:
        """An answer was published for these gaps: the waiting requests of their questions
        become pending; returns how many."""
        if not gap_ids:
            return 0
        uids = sa.select(gaps.c.uid).where(gaps.c.id.in_(list(gap_ids))).scalar_subquery()
        with self._begin() as conn:
            result = conn.execute(
                sa.update(t)
                .where(t.c.gap_uid.in_(uids), t.c.state == WAITING)
                .values(state=PENDING, answer_id=answer_id, updated_at=utcnow())
            )
        return int(result.rowcount or 0)

    def seen(self, conversation: str, when: dt.datetime | None = None) -> None:
        """The user wrote again (what Messenger's 24-hour window counts from)."""
        with self._begin() as conn:
            conn.execute(
                sa.update(t)
                .where(t.c.conversation == conversation, t.c.state.in_(OPEN_STATES))
                .values(last_seen_at=when or utcnow())
            )

    def due(
        self, channel: str | None = None, conversation: str | None = None, limit: int = 500
    ) -> builtins.list[Delivery]:
        """Pending requests (of a channel, or of one conversation), oldest first, with their
        addresses; one whose address does not decrypt is marked failed."""
        stale = utcnow() - CLAIM_TIMEOUT
        query = sa.select(t).where(
            sa.or_(t.c.state == PENDING, sa.and_(t.c.state == SENDING, t.c.updated_at < stale))
        )
        if channel is not None:
            query = query.where(t.c.channel == channel)
        if conversation is not None:
            query = query.where(t.c.conversation == conversation)
        with self._begin() as conn:
            rows = conn.execute(query.order_by(t.c.id).limit(limit)).all()
        out = []
        for row in rows:
            try:
                address = self.box.open(row.address)
            except AddressError:
                self.failed(row.id, "address_unreadable")
                continue
            out.append(Delivery(_notification(row), address))
        return out

    def claim(self, delivery: Delivery) -> bool:
        """Take the request for sending; False when another process already has."""
        stale = utcnow() - CLAIM_TIMEOUT
        with self._begin() as conn:
            result = conn.execute(
                sa.update(t)
                .where(
                    t.c.id == delivery.request.id,
                    sa.or_(
                        t.c.state == PENDING,
                        sa.and_(t.c.state == SENDING, t.c.updated_at < stale),
                    ),
                )
                .values(state=SENDING, updated_at=utcnow())
            )
        return bool(result.rowcount)

    def reopen(self, request_id: int) -> None:
        """The answer was unpublished before delivery: wait for the next answer."""
        with self._begin() as conn:
            conn.execute(
                sa.update(t)
                .where(t.c.id == request_id, t.c.state.in_((PENDING, SENDING)))
                .values(state=WAITING, answer_id=None, updated_at=utcnow())
            )

    def sent(self, request_id: int) -> None:
        self._end(request_id, SENT, "")

    def failed(self, request_id: int, error: str) -> None:
        self._end(request_id, FAILED, error)

    def retry_later(self, request_id: int, error: str) -> None:
        """A transient failure: pending again, counted."""
        with self._begin() as conn:
            conn.execute(
                sa.update(t)
                .where(t.c.id == request_id, t.c.state.in_((PENDING, SENDING)))
                .values(
                    state=PENDING,
                    attempts=t.c.attempts + 1,
                    error=error[:MAX_ERROR_CHARS],
                    updated_at=utcnow(),
                )
            )

    def _end(self, request_id: int, state: str, error: str) -> None:
        with self._begin() as conn:
            conn.execute(
                sa.update(t)
                .where(t.c.id == request_id, t.c.state.in_(OPEN_STATES))
                .values(
                    state=state,
                    address="",
                    error=error[:MAX_ERROR_CHARS],
                    attempts=t.c.attempts + 1,
                    updated_at=utcnow(),
                )
            )

    def expire(self, now: dt.datetime | None = None) -> int:
        """End the open requests older than 90 days; their addresses are deleted."""
        cutoff = (now or utcnow()) - dt.timedelta(days=KEEP_DAYS)
        with self._begin() as conn:
            result = conn.execute(
                sa.update(t)
                .where(t.c.state.in_(OPEN_STATES), t.c.asked_at < cutoff)
                .values(state=EXPIRED, address="", updated_at=utcnow())
            )
        return int(result.rowcount or 0)

    def list(self, answer_id: int | None = None) -> builtins.list[Notification]:
        """Every request (of an answer), newest first, without addresses."""
        query = sa.select(t)
        if answer_id is not None:
            query = query.where(t.c.answer_id == answer_id)
        with self._begin() as conn:
            rows = conn.execute(query.order_by(t.c.id.desc())).all()
        return [_notification(r) for r in rows]

    def addresses_kept(self) -> int:
        """How many addresses are stored (for tests and the privacy check)."""
        with self._begin() as conn:
            return int(conn.scalar(sa.select(sa.func.count()).where(t.c.address != "")) or 0)


def _notification(row: Any) -> Notification:
    m = row._mapping
    return Notification(
        id=m["id"],
        gap_uid=m["gap_uid"],
        conversation=m["conversation"],
        channel=m["channel"],
        language=m["language"],
        state=m["state"],
        answer_id=m["answer_id"],
        asked_at=m["asked_at"],
        last_seen_at=m["last_seen_at"],
        updated_at=m["updated_at"],
        attempts=m["attempts"] or 0,
        error=m["error"] or "",
    )
