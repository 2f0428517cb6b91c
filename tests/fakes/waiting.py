"""Waiting for a condition under a deadline, never for a fixed time: the one polling loop the
integration tests share (the condition is checked at once, then every ``interval`` seconds)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def until(
    condition: Callable[[], T], what: str, timeout: float = 60.0, interval: float = 0.05
) -> T:
    """``condition()`` once it is truthy; fails with ``what`` when ``timeout`` passes first."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, what
        time.sleep(interval)


async def until_async(
    condition: Callable[[], Awaitable[Any]],
    what: str,
    timeout: float = 60.0,
    interval: float = 0.05,
) -> Any:
    """The same for a condition that must be awaited (an HTTP call of the test's client)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await condition()
        if value:
            return value
        assert loop.time() < deadline, what
        await asyncio.sleep(interval)
