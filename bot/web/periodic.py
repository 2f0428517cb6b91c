"""Work the web app repeats in the background (the daily purge, the Clusters page's grouping):
once at start-up, then every ``interval()`` seconds, in a worker thread so that requests never
wait for it; the last ten results that were not ``None`` are kept under an app key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

from aiohttp import web

T = TypeVar("T")
KEPT_RESULTS = 10


def mount(
    app: web.Application,
    work: Callable[[], T | None],
    interval: Callable[[], float],
    results: web.AppKey[list[T]],
) -> None:
    """Run ``work`` while ``app`` runs; its results (``None``: it failed) in ``app[results]``."""
    app[results] = []

    async def repeat(app: web.Application) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                done = await asyncio.get_running_loop().run_in_executor(None, work)
                if done is not None:
                    app[results].append(done)
                    del app[results][:-KEPT_RESULTS]
                await asyncio.sleep(interval())

        task = asyncio.get_running_loop().create_task(loop())
        yield
        task.cancel()

    app.cleanup_ctx.append(repeat)
