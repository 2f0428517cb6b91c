"""The daily purge of personal data, run by the web app: once at start-up (in the background) and
then every ``PURGE_INTERVAL_HOURS`` (default 24), it applies every retention period of
:mod:`bot.gaps.retention` (tracker events when ``TRACKER_DB_URL`` is set, gap records,
``QUESTION_LOG_DAYS`` of the question log). Several web processes may purge at once: deleting what
is too old twice deletes nothing more. ``python -m bot.gaps purge`` does the same on demand.
"""

from __future__ import annotations

import logging
import os

from aiohttp import web

from bot.gaps.retention import Purged, Retention, purge_all
from bot.gaps.store import GapStore
from bot.web import periodic

log = logging.getLogger("bot.web.purge")

DEFAULT_INTERVAL_H = 24.0
LAST_KEY: web.AppKey[list[Purged]] = web.AppKey("purge_runs")


def interval_s(environ: dict[str, str] | None = None) -> float:
    env = os.environ if environ is None else environ
    try:
        hours = float(env.get("PURGE_INTERVAL_HOURS", "") or DEFAULT_INTERVAL_H)
    except ValueError:
        hours = DEFAULT_INTERVAL_H
    return max(hours, 0.0003) * 3600  # at least about a second


def purge_once(store: GapStore) -> Purged | None:
    """One purge with the retention periods of the environment; ``None`` when it failed (the
    next run tries again)."""
    try:
        retention = Retention.from_env(os.environ)
        done = purge_all(store, retention, os.environ.get("TRACKER_DB_URL", "").strip())
    except Exception as exc:  # a bad setting or the database away: say so, keep the app up
        log.error("daily purge failed (%s); it runs again later", type(exc).__name__)
        return None
    log.info(
        "daily purge: %d tracker event(s), %d gap record(s), %d question log entries",
        done.events,
        done.gaps,
        done.questions,
    )
    return done


def mount(app: web.Application, store: GapStore) -> None:
    periodic.mount(app, lambda: purge_once(store), interval_s, LAST_KEY)
