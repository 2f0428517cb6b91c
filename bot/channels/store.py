"""What the channels must remember across a restart: SQLite locally (``var/channels.db``),
PostgreSQL in a deployment (``CHANNELS_DB_URL``), so that a container that dies loses nothing.

- Deliveries already handled (Messenger message ids, Telegram update ids), so that a platform's
  retry of the same delivery is answered once (``seen``; expire after ``ttl_s``, default two
  days: both platforms stop retrying long before).
- Telegram button payloads too long for ``callback_data`` (64 bytes), stored under a short key.
- **The inbox**: every accepted user message, stored before the webhook answers the platform
  200 and deleted once its handling has ended (the reply sent, or the apology and then the
  late reply or failure). The process handling a message renews its lease (``renew``); what a
  process that died left is handed out again (``claim``) once its lease has run out: at
  start-up, and by the periodic sweep (:mod:`bot.channels.webhook`), also in another replica
  sharing the database. A message handed out ``MAX_ATTEMPTS`` times
  without ending (one that kills the process) is dropped with a log line, so it cannot block
  the others. The inbox holds the user's text only while it is being handled.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

logger = logging.getLogger(__name__)

DEFAULT_TTL_S = 2 * 24 * 3600
DEFAULT_LEASE_S = 30.0  # a message whose lease is not renewed for this long is handed out again
MAX_ATTEMPTS = 3  # hand-outs of one message at most (the first one included)
_PURGE_EVERY = 500  # purge expired rows after this many writes

_META = sa.MetaData()
SEEN = sa.Table(
    "channel_seen",
    _META,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("expires", sa.Float, nullable=False),
)
PAYLOADS = sa.Table(
    "channel_payloads",
    _META,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("expires", sa.Float, nullable=False),
)
INBOX = sa.Table(
    "channel_inbox",
    _META,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("key", sa.Text, nullable=False, unique=True),
    sa.Column("conversation", sa.Text, nullable=False),
    sa.Column("event", sa.Text, nullable=False),  # the parsed event, as JSON
    sa.Column("lease_until", sa.Float, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=1),
)

OUTBOX = sa.Table(
    "channel_outbox",
    _META,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation", sa.Text, nullable=False, index=True),
    sa.Column("body", sa.Text, nullable=False),  # what to send, as the channel sends it (JSON)
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_try", sa.Float, nullable=False),
    sa.Column("expires", sa.Float, nullable=False),
)
REPLY_TTL_S = 24 * 3600.0  # Messenger answers a user's message within 24 hours, or not at all
RESEND_BACKOFF_S = (10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)  # between retries from the outbox


def database_url(location: str | Path) -> str:
    """A SQLAlchemy URL as given, else the SQLite URL of a file path (``:memory:`` too)."""
    text = str(location)
    return text if "://" in text else f"sqlite:///{text}"


class ChannelStore:
    """Delivery de-duplication, long-payload mapping and the inbox of accepted messages."""

    def __init__(
        self,
        location: str | Path,
        ttl_s: float = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
        lease_s: float = DEFAULT_LEASE_S,
    ) -> None:
        url = database_url(location)
        self.ttl_s = ttl_s
        self.lease_s = lease_s
        self._clock = clock
        self._lock = threading.Lock()
        self._writes = 0
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self._engine = sa.create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)
        if self._engine.dialect.name == "sqlite":
            with self._engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        try:
            _META.create_all(self._engine, checkfirst=True)
        except sa.exc.DBAPIError:  # another replica created them at the same moment
            _META.create_all(self._engine, checkfirst=True)
        self.purge()

    def close(self) -> None:
        self._engine.dispose()

    def _insert_ignore(self, table: sa.Table) -> Any:
        dialect = postgresql if self._engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table).on_conflict_do_nothing()

    def _mark_seen(self, conn: sa.engine.Connection, key: str, now: float) -> bool:
        conn.execute(sa.delete(SEEN).where(SEEN.c.key == key, SEEN.c.expires <= now))
        inserted = conn.execute(self._insert_ignore(SEEN).values(key=key, expires=now + self.ttl_s))
        return bool(inserted.rowcount == 1)

    def first_delivery(self, key: str) -> bool:
        """Record ``key`` as handled; ``True`` the first time, ``False`` while it is remembered."""
        with self._lock, self._engine.begin() as conn:
            inserted = self._mark_seen(conn, key, self._clock())
        self._count_write()
        return inserted

    def accept(self, key: str, conversation: str, event: dict[str, Any]) -> bool:
        """Store an accepted message in the inbox (and its key as seen), in one transaction;
        ``False`` (and nothing stored) for a delivery already seen."""
        now = self._clock()
        with self._lock, self._engine.begin() as conn:
            if not self._mark_seen(conn, key, now):
                return False
            conn.execute(
                sa.insert(INBOX).values(
                    key=key,
                    conversation=conversation,
                    event=json.dumps(event, ensure_ascii=False),
                    lease_until=now + self.lease_s,
                    attempts=1,
                )
            )
        self._count_write()
        return True

    def done(self, key: str) -> None:
        """The message's handling has ended: it leaves the inbox (its key stays seen)."""
        with self._lock, self._engine.begin() as conn:
            conn.execute(sa.delete(INBOX).where(INBOX.c.key == key))

    def renew(self, keys: Collection[str]) -> None:
        """Extend the lease of messages still being handled here (the sweep's heartbeat)."""
        if not keys:
            return
        with self._lock, self._engine.begin() as conn:
            conn.execute(
                sa.update(INBOX)
                .where(INBOX.c.key.in_(list(keys)))
                .values(lease_until=self._clock() + self.lease_s)
            )

    def pending(self) -> int:
        """Messages in the inbox (being handled, or left by a process that died)."""
        with self._engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(INBOX)).scalar_one())

    def claim(self, prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
        """The inbox's messages under key ``prefix`` whose lease has run out, in arrival order,
        each leased again (so that another process does not take it too) as
        ``(key, conversation, event)``; those handed out ``MAX_ATTEMPTS`` times are dropped."""
        now = self._clock()
        claimed = []
        with self._lock, self._engine.begin() as conn:
            rows = conn.execute(
                sa.select(INBOX.c.key, INBOX.c.conversation, INBOX.c.event, INBOX.c.attempts)
                .where(INBOX.c.key.startswith(prefix, autoescape=True))
                .where(INBOX.c.lease_until <= now)
                .order_by(INBOX.c.seq)
            ).all()
            for key, conversation, event, attempts in rows:
                if attempts >= MAX_ATTEMPTS:
                    conn.execute(sa.delete(INBOX).where(INBOX.c.key == key))
                    logger.error("inbox: a message failed %d times and is dropped", attempts)
                    continue
                taken = conn.execute(
                    sa.update(INBOX)
                    .where(INBOX.c.key == key, INBOX.c.lease_until <= now)
                    .values(lease_until=now + self.lease_s, attempts=attempts + 1)
                )
                if taken.rowcount == 1:
                    claimed.append((key, conversation, json.loads(event)))
        return claimed

    # --- the outbox: replies that could not be sent, retried in order ------------------------

    def queue_reply(self, conversation: str, body: dict[str, Any]) -> None:
        """Keep a reply that could not be sent (or must wait behind one) for a later try."""
        now = self._clock()
        with self._lock, self._engine.begin() as conn:
            first = conn.execute(
                sa.select(OUTBOX.c.next_try).where(OUTBOX.c.conversation == conversation).limit(1)
            ).first()
            conn.execute(
                sa.insert(OUTBOX).values(
                    conversation=conversation,
                    body=json.dumps(body, ensure_ascii=False),
                    attempts=0,
                    next_try=first[0] if first else now + RESEND_BACKOFF_S[0],
                    expires=now + REPLY_TTL_S,
                )
            )

    def has_queued(self, conversation: str) -> bool:
        """Whether replies to ``conversation`` wait in the outbox (a new one goes behind them)."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(OUTBOX.c.seq).where(OUTBOX.c.conversation == conversation).limit(1)
            ).first()
        return row is not None

    def due_replies(self, prefix: str) -> dict[str, list[tuple[int, dict[str, Any]]]]:
        """Per conversation under ``prefix`` whose turn has come, its waiting replies in order
        as ``(seq, body)``, leased to the caller; replies older than :data:`REPLY_TTL_S` are
        dropped first."""
        now = self._clock()
        with self._lock, self._engine.begin() as conn:
            gone = conn.execute(sa.delete(OUTBOX).where(OUTBOX.c.expires <= now))
            if gone.rowcount:
                logger.error("outbox: %d repl(ies) could not be sent within a day", gone.rowcount)
            rows = conn.execute(
                sa.select(OUTBOX.c.seq, OUTBOX.c.conversation, OUTBOX.c.body, OUTBOX.c.next_try)
                .where(OUTBOX.c.conversation.startswith(prefix, autoescape=True))
                .order_by(OUTBOX.c.seq)
            ).all()
            due: dict[str, list[tuple[int, dict[str, Any]]]] = {}
            waiting: set[str] = set()
            for seq, conversation, body, next_try in rows:
                if conversation in waiting:
                    continue
                if conversation not in due:
                    # its first reply's turn has come, and no other process took it meanwhile:
                    # leased, so that nobody else sends it while this one tries
                    taken = conn.execute(
                        sa.update(OUTBOX)
                        .where(OUTBOX.c.conversation == conversation, OUTBOX.c.next_try <= now)
                        .values(next_try=now + self.lease_s)
                    )
                    if next_try > now or taken.rowcount == 0:
                        waiting.add(conversation)
                        continue
                due.setdefault(conversation, []).append((int(seq), json.loads(body)))
        return due

    def reply_sent(self, seq: int) -> None:
        with self._lock, self._engine.begin() as conn:
            conn.execute(sa.delete(OUTBOX).where(OUTBOX.c.seq == seq))

    def postpone_replies(self, conversation: str) -> None:
        """The first waiting reply failed again: the conversation's next try, later."""
        now = self._clock()
        with self._lock, self._engine.begin() as conn:
            attempts = conn.execute(
                sa.select(sa.func.max(OUTBOX.c.attempts)).where(
                    OUTBOX.c.conversation == conversation
                )
            ).scalar_one()
            tries = int(attempts or 0) + 1
            wait = RESEND_BACKOFF_S[min(tries, len(RESEND_BACKOFF_S) - 1)]
            conn.execute(
                sa.update(OUTBOX)
                .where(OUTBOX.c.conversation == conversation)
                .values(attempts=tries, next_try=now + wait)
            )

    def queued_replies(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(OUTBOX)).scalar_one())

    def payload_key(self, payload: str, prefix: str = "p:") -> str:
        """A short, stable key for ``payload``, stored so that ``payload_for`` can map it back."""
        key = prefix + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]
        expires = self._clock() + self.ttl_s
        with self._lock, self._engine.begin() as conn:  # the same key: the same payload
            conn.execute(self._insert_ignore(PAYLOADS).values(key=key, payload=payload, expires=0))
            conn.execute(sa.update(PAYLOADS).where(PAYLOADS.c.key == key).values(expires=expires))
        self._count_write()
        return key

    def payload_for(self, key: str) -> str | None:
        """The payload stored under ``key``, or ``None`` if unknown or expired."""
        with self._engine.connect() as conn:
            row = conn.execute(
                sa.select(PAYLOADS.c.payload).where(
                    PAYLOADS.c.key == key, PAYLOADS.c.expires > self._clock()
                )
            ).first()
        return str(row[0]) if row else None

    def purge(self) -> None:
        """Drop expired entries."""
        now = self._clock()
        with self._lock, self._engine.begin() as conn:
            conn.execute(sa.delete(SEEN).where(SEEN.c.expires <= now))
            conn.execute(sa.delete(PAYLOADS).where(PAYLOADS.c.expires <= now))

    def _count_write(self) -> None:
        self._writes += 1
        if self._writes % _PURGE_EVERY == 0:
            self.purge()
