"""Write de-duplication and rate limiting for Elasticsearch writes (reference 9.1).

``WriteCache`` remembers which (index, series) documents were written recently so that the
steady stream of the same series costs no request; ``RateLimiter`` spaces out the writes that
do go through to ``writesPerSecond`` (throttled, never dropped). In-process state only; the
memcached-backed distributed cache of upstream is not implemented.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class WriteCache:
    """Keys seen within ``ttl`` seconds, at most ``max_size`` (oldest evicted first)."""

    def __init__(
        self, ttl: float, max_size: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._max_size = max_size
        self._clock = clock
        self._expiry: OrderedDict[Hashable, float] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self._ttl > 0 and self._max_size > 0

    def __len__(self) -> int:
        return len(self._expiry)

    def acquire(self, key: Hashable) -> bool:
        """True if ``key`` should be written now (and remember it), False if seen recently."""
        if not self.enabled:
            return True
        now = self._clock()
        expiry = self._expiry.get(key)
        if expiry is not None and expiry > now:
            return False
        self._expiry[key] = now + self._ttl
        self._expiry.move_to_end(key)
        while len(self._expiry) > self._max_size:
            self._expiry.popitem(last=False)
        return True

    def forget(self, key: Hashable) -> None:
        """Drop ``key`` (its write failed, so the next one must go through)."""
        self._expiry.pop(key, None)


class RateLimiter:
    """At most ``rate`` acquisitions per second on average, bursting up to one second's worth."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._interval = 1.0 / rate
        self._burst = 1.0
        self._clock = clock
        self._next = 0.0

    def reserve(self, count: int = 1) -> float:
        """Take ``count`` slots (one bulk request of ``count`` writes); returns how long the
        caller must wait before using them."""
        now = self._clock()
        start = max(self._next, now - self._burst)
        self._next = start + self._interval * count
        return max(0.0, start - now)

    async def acquire(self, count: int = 1) -> None:
        delay = self.reserve(count)
        if delay > 0:
            await asyncio.sleep(delay)
