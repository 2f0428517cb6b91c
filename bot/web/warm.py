"""Keeping the Clusters page fast: at start-up (in the background) and then every
``CLUSTERS_WARM_S`` seconds (default 60), the web app groups the open gaps as the Clusters page
does by default, so that a staff member who opens it finds the grouping kept and only the gaps
that came since to place (:mod:`bot.gaps.grouping`). With 10,000 open gaps a grouping from
nothing takes seconds; from a kept one, a fraction of a second (docs/benchmarks.md).
"""

from __future__ import annotations

import logging
import os

from aiohttp import web

from bot.gaps.clustering import cluster
from bot.gaps.store import GapStore
from bot.web import periodic
from bot.web.staff.filters import OPEN, filters_of

log = logging.getLogger("bot.web.warm")

DEFAULT_INTERVAL_S = 60.0
RUNS_KEY: web.AppKey[list[int]] = web.AppKey("warm_runs")  # clusters found, per run


def interval_s(environ: dict[str, str] | None = None) -> float:
    env = os.environ if environ is None else environ
    try:
        return max(float(env.get("CLUSTERS_WARM_S", "") or DEFAULT_INTERVAL_S), 0.5)
    except ValueError:
        return DEFAULT_INTERVAL_S


def warm_once(store: GapStore) -> int | None:
    """Group the open gaps as the Clusters page does; the number of clusters, ``None`` when the
    database could not be read (the next run tries again)."""
    filters, _ = filters_of({}, default_status=OPEN)
    try:
        return len(cluster(store.list(filters)))
    except Exception as exc:
        log.warning(
            "clusters not prepared (%s); the page groups them when opened", type(exc).__name__
        )
        return None


def mount(app: web.Application, store: GapStore) -> None:
    periodic.mount(app, lambda: warm_once(store), interval_s, RUNS_KEY)
