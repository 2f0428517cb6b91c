"""Keeping the Clusters page fast: at start-up (in the background) and then every
``CLUSTERS_WARM_S`` seconds (default 60), the web app groups the open gaps as the Clusters page
does by default, so that a staff member who opens it finds the grouping kept and only the gaps
that came since to place (:mod:`bot.gaps.grouping`). With 10,000 open gaps a grouping from
nothing takes seconds; from a kept one, a fraction of a second (docs/benchmarks.md).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator

from aiohttp import web

from bot.gaps.clustering import cluster
from bot.gaps.store import GapStore
from bot.web.staff.filters import OPEN, filters_of

log = logging.getLogger("bot.web.warm")

DEFAULT_INTERVAL_S = 60.0
STORE_KEY = web.AppKey("warm_store", GapStore)
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


async def _keep_warm(app: web.Application) -> AsyncIterator[None]:
    async def loop() -> None:
        while True:
            found = await asyncio.get_running_loop().run_in_executor(
                None, warm_once, app[STORE_KEY]
            )
            if found is not None:
                app[RUNS_KEY].append(found)
                del app[RUNS_KEY][:-10]
            await asyncio.sleep(interval_s())

    task = asyncio.get_running_loop().create_task(loop())
    yield
    task.cancel()


def mount(app: web.Application, store: GapStore) -> None:
    app[STORE_KEY] = store
    app[RUNS_KEY] = []
    app.cleanup_ctx.append(_keep_warm)
