"""``IndexCache``: which (backend, series) pairs were indexed recently, so the steady stream of
the same series costs the metadata and suggest stores one write per ``ttl`` instead of one per
batch (upstream's Elasticsearch write cache plays the same role inside the backend).

One plain dict per backend, series id -> expiry, in the order entries were (re)written, so the
oldest is evicted first and a batch's lookups cost one ``dict.get`` each. Pure, in-process
state: a forgotten entry only means one more (idempotent) index write.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from operator import itemgetter

#: Seconds an indexed series is not re-sent to the same backend (``0`` disables the cache).
DEFAULT_TTL = 600.0
DEFAULT_MAX_SIZE = 1_000_000


class IndexCache:
    """Recently indexed series ids per backend id, at most ``max_size`` per backend."""

    def __init__(
        self,
        ttl: float = DEFAULT_TTL,
        max_size: int = DEFAULT_MAX_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._expiry: dict[str, dict[str, float]] = {}

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._expiry.values())

    def now(self) -> float:
        """The time on this cache's clock (expiries are on it)."""
        return self._clock()

    def fresh(self, backend: str, series_id: str, now: float | None = None) -> bool:
        """True if the pair was indexed less than ``ttl`` ago (then no write is needed)."""
        return not self.stale(backend, [series_id], now)

    def stale(self, backend: str, series_ids: Sequence[str], now: float | None = None) -> list[int]:
        """The positions in ``series_ids`` of the series ``backend`` must index again."""
        if self.ttl <= 0:
            return list(range(len(series_ids)))
        now = self._clock() if now is None else now
        entries = self._expiry.get(backend, {})
        if len(series_ids) > 1:
            try:  # every series known: the expiries read and compared in C
                expiries = itemgetter(*series_ids)(entries)
            except KeyError:
                pass
            else:
                if min(expiries) > now:
                    return []
                return [i for i, expiry in enumerate(expiries) if expiry <= now]
        get = entries.get
        return [i for i, series_id in enumerate(series_ids) if get(series_id, 0.0) <= now]

    def remember(self, backend: str, series_ids: Sequence[str]) -> None:
        """The pairs were just indexed successfully."""
        if self.ttl <= 0:
            return
        expiry = self._clock() + self.ttl
        entries = self._expiry.setdefault(backend, {})
        for series_id in series_ids:
            entries.pop(series_id, None)  # re-inserted last: the youngest
            entries[series_id] = expiry
        excess = len(entries) - self.max_size
        if excess > 0:
            for series_id in list(_first(entries, excess)):
                del entries[series_id]


def _first(entries: dict[str, float], count: int) -> list[str]:
    out: list[str] = []
    for series_id in entries:
        if len(out) == count:
            break
        out.append(series_id)
    return out
