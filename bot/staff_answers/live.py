"""The staff answers the action server uses, always fresh: the published answers are re-read from
the database at most every ``STAFF_ANSWERS_REFRESH_SECONDS`` (default 5) when a message needs
them, so an answer published (or unpublished) in the dashboard is used (or dropped) within
seconds by every action-server replica, without retraining or a restart. The matcher is rebuilt
only when the answers changed. A database that cannot be reached keeps the last answers read and
is logged without any user text; use counts are written off the reply's path.
"""

from __future__ import annotations

import concurrent.futures
import logging
import os
import threading
import time
from collections.abc import Callable
from functools import lru_cache

from sqlalchemy.exc import SQLAlchemyError

from bot.gaps.store import GapStore
from bot.staff_answers.matching import ASK_THRESHOLD, THRESHOLD, Match, Matcher
from bot.staff_answers.store import AnswerStore

log = logging.getLogger(__name__)

DEFAULT_REFRESH_S = 5.0


def refresh_seconds(environ: dict[str, str] | None = None) -> float:
    env = os.environ if environ is None else environ
    try:
        value = float(env.get("STAFF_ANSWERS_REFRESH_SECONDS", "") or DEFAULT_REFRESH_S)
    except ValueError:
        return DEFAULT_REFRESH_S
    return min(max(value, 0.0), 60.0)


class LiveAnswers:
    """The published answers, refreshed from the database when they may have changed."""

    def __init__(
        self,
        store: AnswerStore,
        refresh_s: float = DEFAULT_REFRESH_S,
        clock: Callable[[], float] = time.monotonic,
        thresholds: tuple[float, float] = (THRESHOLD, ASK_THRESHOLD),
    ) -> None:
        """``thresholds``: the matcher's score to answer at once, and to offer the answer first."""
        self.store = store
        self.refresh_s = refresh_s
        self._clock = clock
        self._lock = threading.Lock()
        self._matcher = Matcher((), *thresholds)
        self._fingerprint: tuple[object, ...] | None = None
        self._checked: float | None = None
        self._writer = concurrent.futures.ThreadPoolExecutor(1, "staff-answer-uses")

    def matcher(self) -> Matcher:
        """The matcher of the published answers, re-read when the last read is older than
        ``refresh_s`` (blocking: call it off the event loop)."""
        with self._lock:
            now = self._clock()
            if self._checked is not None and now - self._checked < self.refresh_s:
                return self._matcher
            self._checked = now
            try:
                answers = self.store.published()
            except (SQLAlchemyError, OSError) as exc:
                log.error("staff answers not refreshed (%s); kept the last", type(exc).__name__)
                return self._matcher
            fingerprint = tuple(a.fingerprint() for a in answers)
            if fingerprint != self._fingerprint:
                old = self._matcher
                self._matcher = Matcher(answers, old.threshold, old.ask_threshold)
                self._fingerprint = fingerprint
                log.info("staff answers loaded: %d published", len(self._matcher.answers))
            return self._matcher

    def match(self, message: str) -> Match | None:
        """The published answer for ``message``, if one is close enough; never raises."""
        try:
            return self.matcher().match(message)
        except Exception as exc:  # a staff answer must never break the conversation
            log.error("staff answer matching failed (%s)", type(exc).__name__)
            return None

    def used(self, answer_id: int) -> None:
        """Count one use of the answer, in the background."""
        self._writer.submit(self._count, answer_id)

    def _count(self, answer_id: int) -> None:
        try:
            self.store.record_use(answer_id)
        except Exception as exc:
            log.error("staff answer use not counted (%s)", type(exc).__name__)


@lru_cache(maxsize=1)
def configured_live_answers() -> LiveAnswers:
    """The process's live answers, from the environment (``DATABASE_URL``), created on first use."""
    return LiveAnswers(AnswerStore(GapStore.from_env()), refresh_seconds())
