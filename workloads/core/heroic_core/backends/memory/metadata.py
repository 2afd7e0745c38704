"""In-memory metadata backend (``type: memory``): a set of series searched with filters.

Filters are evaluated with ``Filter.matches`` (every operator, regex included). Like upstream's
memory backend it ignores the request ``range``: every series ever written matches. Results are
sorted in series order so that limits cut deterministically. Nothing is persisted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from heroic_core.backends.base import (
    ConfigureResult,
    CountSeries,
    FindKeys,
    FindSeries,
    FindTags,
)
from heroic_core.errors import RequestError
from heroic_core.model import DateRange, Series

if TYPE_CHECKING:
    from heroic_core.filters import Filter


def check_limit(limit: int | None) -> None:
    """Reject negative limits (``None`` means unlimited)."""
    if limit is not None and limit < 0:
        raise RequestError(f"limit must not be negative, got {limit}")


class MemoryMetadataBackend:
    """Metadata backend keeping every written series in process memory."""

    def __init__(self, id: str = "memory", groups: Iterable[str] = ("memory",)) -> None:
        self._id = id
        self._groups = frozenset(groups)
        self._lock = threading.Lock()
        self._series: set[Series] = set()

    @property
    def id(self) -> str:
        return self._id

    @property
    def groups(self) -> frozenset[str]:
        return self._groups

    async def is_ready(self) -> bool:
        return True

    async def configure(self) -> ConfigureResult:
        return ConfigureResult()

    async def close(self) -> None:
        return None

    async def write(self, series: Series, range: DateRange) -> None:
        with self._lock:
            self._series.add(series)

    async def write_many(self, items: Sequence[tuple[Series, DateRange]]) -> None:
        """Index many series under one lock hold."""
        with self._lock:
            self._series.update(s for s, _ in items)

    def _matching(self, filter: Filter) -> list[Series]:
        with self._lock:
            snapshot = list(self._series)
        return sorted(s for s in snapshot if filter.matches(s))

    async def find_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindSeries:
        check_limit(limit)
        found = self._matching(filter)
        if limit is not None and len(found) > limit:
            return FindSeries(tuple(found[:limit]), limited=True)
        return FindSeries(tuple(found), limited=False)

    async def count_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> CountSeries:
        check_limit(limit)
        count = len(self._matching(filter))
        if limit is not None and count > limit:
            return CountSeries(limit, limited=True)
        return CountSeries(count, limited=False)

    async def delete_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> int:
        check_limit(limit)
        doomed = self._matching(filter)
        if limit is not None:
            doomed = doomed[:limit]
        with self._lock:
            before = len(self._series)
            self._series.difference_update(doomed)
            return before - len(self._series)

    async def find_keys(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindKeys:
        """Distinct keys (sorted, at most ``limit``); ``size`` counts all distinct keys and
        ``duplicates`` the matching series whose key was already seen."""
        check_limit(limit)
        found = self._matching(filter)
        keys = sorted({s.key for s in found})
        shown = keys if limit is None else keys[:limit]
        return FindKeys(tuple(shown), size=len(keys), duplicates=len(found) - len(keys))

    async def find_tags(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindTags:
        """Tag keys (sorted, at most ``limit``) with all their values; ``size`` counts all keys."""
        check_limit(limit)
        tags: dict[str, set[str]] = {}
        for series in self._matching(filter):
            for key, value in series.tags.items():
                tags.setdefault(key, set()).add(value)
        keys = sorted(tags)
        shown = keys if limit is None else keys[:limit]
        return FindTags({k: tuple(sorted(tags[k])) for k in shown}, size=len(keys))
