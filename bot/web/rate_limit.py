"""Rate limits of the web chat's message API: per conversation and per client address.

A token bucket per key: ``per_minute`` messages may come at once, then one more each
``60 / per_minute`` seconds. A message over the limit gets a 429 with ``Retry-After`` (the chat
page says so in both languages) and never reaches Rasa. The buckets live in this process's memory,
at most :data:`MAX_KEYS` of them (the idlest are dropped first): behind a load balancer each web
process applies the limit to what reaches it.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_KEYS = 10_000


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        if per_minute < 1:
            raise ValueError("a rate limit must allow at least 1 message a minute")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens a second
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def wait_s(self, key: str) -> int:
        """Take one message for ``key``: 0 when it may pass, else the whole seconds to wait."""
        now = self._clock()
        tokens, last = self._buckets.pop(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        wait = 0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = max(1, math.ceil((1 - tokens) / self.rate))
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self._max_keys:
            self._buckets.popitem(last=False)
        return wait
