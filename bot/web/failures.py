"""Web chat messages the bot failed to answer (Rasa unreachable or too slow, or no reply at all):
each becomes a knowledge gap with reason ``bot_error`` (masked, written off the request's path),
while the user gets an apology instead of silence (:mod:`bot.web.app`)."""

from __future__ import annotations

import threading

from bot.gaps.capture import GapRecorder, hmac_key
from bot.gaps.store import GapStore


class FailureLog:
    """Records failed messages in the gap store; the recorder is made on the first failure."""

    def __init__(self, store: GapStore) -> None:
        self.store = store
        self._recorder: GapRecorder | None = None
        self._lock = threading.Lock()

    def recorder(self) -> GapRecorder:
        with self._lock:
            if self._recorder is None:
                self._recorder = GapRecorder(self.store, hmac_key())
            return self._recorder

    def record(self, conversation: str, message: str) -> None:
        """Never raises: recording must not cost the user their reply."""
        self.recorder().record_bot_error(conversation, message, "rest")
