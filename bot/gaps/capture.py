"""Turning a signal (an unanswered question) into a stored gap record, off the reply's path.

:meth:`GapRecorder.record` masks the text and the context, pseudonymises the sender and hands the
record to one background thread that writes it (:meth:`bot.gaps.store.GapStore.add`, which spools
on failure), so the reply is never delayed by the database. Nothing here logs user text.

Settings (environment): ``GAPS_HMAC_KEY`` is the secret of the conversation keys; when it is unset
(local development) a random key is created once in ``var/gaps-hmac.key`` and reused.
``DATABASE_URL`` and ``GAPS_SPOOL_FILE``: see :mod:`bot.gaps.store`.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from bot.gaps.model import MAX_TEXT_CHARS, REASON_BOT_ERROR, GapRecord
from bot.gaps.redaction import conversation_key, mask
from bot.gaps.store import ROOT, GapStore
from bot.language import detect_language
from bot.questions.model import QuestionEntry, entry_uid
from bot.questions.store import QuestionLog

log = logging.getLogger(__name__)

DEV_KEY_FILE = ROOT / "var" / "gaps-hmac.key"
TOP_INTENTS = 3
MAX_QUEUED = 1000  # records waiting for the writer; more go straight to the spool file
# Rasa's input channel names, as staff know them.
CHANNEL_NAMES = {"rest": "web", "facebook": "messenger", "telegram": "telegram", "cmdline": "shell"}


def hmac_key(environ: dict[str, str] | None = None, dev_file: Path = DEV_KEY_FILE) -> bytes:
    """The conversation-key secret: ``GAPS_HMAC_KEY``, else a local key created once."""
    env = os.environ if environ is None else environ
    configured = env.get("GAPS_HMAC_KEY", "").strip()
    if configured:
        return configured.encode("utf-8")
    try:
        return dev_file.read_bytes().strip() or _read_created_key(dev_file)
    except FileNotFoundError:
        dev_file.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        try:
            fd = os.open(dev_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process (web app, action server) created it first
            return _read_created_key(dev_file)
        with os.fdopen(fd, "w") as out:
            out.write(key)
        log.warning("GAPS_HMAC_KEY is not set; created a local key in %s", dev_file)
        return key.encode("utf-8")


def _read_created_key(path: Path, attempts: int = 50) -> bytes:
    """The key another process has just created (it may not have written it yet)."""
    for _ in range(attempts):
        key = path.read_bytes().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{path} stays empty; delete it to create a new key")


def channel_name(input_channel: str | None) -> str:
    if not input_channel:
        return "unknown"
    return CHANNEL_NAMES.get(input_channel, input_channel)[:32]


def top_intents(ranking: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """The three likeliest intents as ``{"name", "confidence"}`` (confidence rounded)."""
    out = []
    for item in ranking[:TOP_INTENTS]:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            confidence = item.get("confidence")
            value = round(float(confidence), 4) if isinstance(confidence, int | float) else None
            out.append({"name": item["name"], "confidence": value})
    return tuple(out)


class GapRecorder:
    """Builds masked records and writes them in the background, in the order they came; the
    same for the question log's entries (:meth:`log`)."""

    def __init__(self, store: GapStore, key: bytes) -> None:
        self.store = store
        self._questions: QuestionLog | None = None
        self._key = key
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="gap-writer"
        )
        self._pending: set[concurrent.futures.Future[bool]] = set()
        self._lock = threading.Lock()
        self.max_queued = MAX_QUEUED

    def build(
        self,
        *,
        sender_id: str,
        text: str,
        reason: str,
        language: str,
        channel: str | None,
        intents: Sequence[dict[str, Any]] = (),
        context: str = "",
        aspect: str = "",
    ) -> GapRecord:
        """The record for a signal: text and context masked, the sender replaced by its key."""
        return GapRecord(
            text=mask(text)[:MAX_TEXT_CHARS],
            context=mask(context)[:MAX_TEXT_CHARS],
            reason=reason,
            language=language,
            channel=channel_name(channel),
            conversation=conversation_key(sender_id, self._key),
            intents=top_intents(intents),
            aspect=aspect[:32],
        )

    def record(self, **signal: Any) -> GapRecord:
        """Build the record (see :meth:`build`) and queue it for writing; returns at once. When
        :attr:`max_queued` records already wait (the database is slow), it goes to the spool file
        at once instead (durable; written to the database with the next successful write)."""
        record = self.build(**signal)
        self._submit(self._write, record, lambda r: self.store.spool.append(r))
        return record

    def _submit(
        self, write: Callable[[Any], bool], item: Any, spool: Callable[[Any], None]
    ) -> None:
        """Queue ``write(item)``, or ``spool(item)`` at once when the writer is too far behind."""
        with self._lock:
            busy = len(self._pending) >= self.max_queued
        if busy:
            log.warning("gap writer busy (%d queued); record spooled", self.max_queued)
            spool(item)
            return
        future = self._executor.submit(write, item)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._done)

    @property
    def questions(self) -> QuestionLog:
        """The question log of the same database, created on first use."""
        if self._questions is None:
            self._questions = QuestionLog(self.store)
        return self._questions

    def log(
        self,
        *,
        sender_id: str,
        message_id: str | None,
        text: str,
        language: str,
        channel: str | None,
        outcome: str,
        topic: str = "",
        reason: str = "",
        answer_id: int | None = None,
    ) -> QuestionEntry:
        """Log one user message and its outcome (masked, the sender replaced by its key) in the
        background; returns at once. Every action of a turn logs the same ``message_id``: the
        entry keeps the strongest outcome (:mod:`bot.questions.model`)."""
        conversation = conversation_key(sender_id, self._key)
        entry = QuestionEntry(
            uid=entry_uid(conversation, message_id or uuid.uuid4().hex),
            conversation=conversation,
            channel=channel_name(channel),
            language=language,
            text=mask(text)[:MAX_TEXT_CHARS],
            outcome=outcome,
            topic=topic,
            reason=reason,
            answer_id=answer_id,
        )
        questions = self.questions
        self._submit(questions.add, entry, lambda e: questions.spool.append(e))
        return entry

    def record_bot_error(self, sender_id: str, text: str, channel: str) -> None:
        """A message the bot failed to answer (reason ``bot_error``), as a gap and in the question
        log; never raises."""
        try:
            language = detect_language(text) or "km"
            self.record(
                sender_id=sender_id,
                text=text,
                reason=REASON_BOT_ERROR,
                language=language,
                channel=channel,
            )
            self.log(
                sender_id=sender_id,
                message_id=None,
                text=text,
                language=language,
                channel=channel,
                outcome="gap",
                reason=REASON_BOT_ERROR,
            )
        except Exception as exc:  # recording must never cost the user their reply
            log.error("could not record a bot error (%s)", type(exc).__name__)

    def _write(self, record: GapRecord) -> bool:
        try:
            stored = self.store.add(record)
        except Exception as exc:  # the store spools DB errors; anything else must not be lost
            log.error("gap record could not be written (%s); spooling", type(exc).__name__)
            self.store.spool.append(record)
            return False
        log.info(
            "gap recorded: reason=%s channel=%s language=%s stored=%s",
            record.reason,
            record.channel,
            record.language,
            "db" if stored else "spool",
        )
        return stored

    def _done(self, future: concurrent.futures.Future[bool]) -> None:
        with self._lock:
            self._pending.discard(future)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every queued record is written (or spooled)."""
        with self._lock:
            pending = list(self._pending)
        concurrent.futures.wait(pending, timeout=timeout)


@lru_cache(maxsize=1)
def get_recorder() -> GapRecorder:
    """The process's recorder, from the environment, created on first use (at exit Python's
    thread pool writes what is still queued; the action container's stop grace period in
    ``docker-compose.yml`` leaves time for it)."""
    return GapRecorder(GapStore.from_env(), hmac_key())
