"""``IndexCache``: which (backend, series) pairs were indexed recently, so the steady stream of
the same series costs the metadata and suggest stores one write per ``ttl`` instead of one per
batch (upstream's Elasticsearch write cache plays the same role inside the backend).

Pure, in-process state: a forgotten entry only means one more (idempotent) index write.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

#: Seconds an indexed series is not re-sent to the same backend (``0`` disables the cache).
DEFAULT_TTL = 600.0
DEFAULT_MAX_SIZE = 1_000_000


class IndexCache:
    """Recently indexed ``(backend id, series id)`` pairs, oldest evicted first."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        max_size: int = DEFAULT_MAX_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._expiry: OrderedDict[tuple[str, str], float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._expiry)

    def fresh(self, backend: str, series_id: str, now: float | None = None) -> bool:
        """True if the pair was indexed less than ``ttl`` ago (then no write is needed)."""
        if self.ttl <= 0:
            return False
        expiry = self._expiry.get((backend, series_id))
        return expiry is not None and expiry > (self._clock() if now is None else now)

    def remember(self, backend: str, series_ids: list[str]) -> None:
        """The pairs were just indexed successfully."""
        if self.ttl <= 0:
            return
        expiry = self._clock() + self.ttl
        entries = self._expiry
        for series_id in series_ids:
            key = (backend, series_id)
            entries[key] = expiry
            entries.move_to_end(key)
        while len(entries) > self.max_size:
            entries.popitem(last=False)
