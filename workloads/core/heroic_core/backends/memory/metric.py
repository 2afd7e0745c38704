"""In-memory metric backend (``type: memory``): per series, sorted numpy arrays of points, and
distribution points (opaque payloads) per timestamp.

Row keys (the shell's ``keys``, ``delete-keys``, ``data-migrate``): one key per series, with
base 0, as there are no row periods here; keys are in series order and have no token ring.

Keyed by the full series (key, tags and resource) — upstream's memory backend keyed by tags
only, which mixed series with different keys; we do not copy that. Writes are appended to a
per-series pending list and merged lazily (last write of a timestamp wins), so that many small
writes stay cheap. A pending chunk is three items of that list: the ``(timestamps, values)``
of its write, shared by every series of a batch, and its slice's bounds (``lo``, ``hi``), so
a series' share of a batch makes no object of its own. Holds data only in this process;
nothing is persisted.

``write_batch``'s per-series loop runs in compiled code (``heroic_core._native``, Rust) when
it is built; the Python loop does the same steps in the same order and stores the same.
``$HEROIC_MEMORY_KERNEL=python`` turns the compiled loop off (to compare both); ``AVAILABLE``
says whether it was built.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TypeVar, cast

import numpy as np
import numpy.typing as npt

from heroic_core.backends.base import BackendKey, ConfigureResult, KeyRange, UnreadableKey
from heroic_core.errors import RequestError
from heroic_core.model import DateRange, Distributions, Points, Series, SeriesBatch

try:
    from heroic_core import _native
except ImportError:  # built without cargo: the Python loop serves
    _native = None  # type: ignore[assignment]

#: Merge a series' pending chunks once this many wait, so an unread series stays compact.
MAX_PENDING = 1024
#: Items of ``_SeriesData.pending`` per chunk: columns, lo, hi.
_CHUNK_ITEMS = 3
AVAILABLE = _native is not None
#: Set to ``python`` to run ``write_batch``'s loop in Python.
KERNEL_ENV = "HEROIC_MEMORY_KERNEL"

Int64s = npt.NDArray[np.int64]
Float64s = npt.NDArray[np.float64]
A = TypeVar("A", Int64s, Float64s)
#: One write's timestamps and values; a chunk is the slice ``lo:hi`` of both.
Columns = tuple[Int64s, Float64s]
_NO_TIMESTAMPS: Int64s = np.empty(0, dtype=np.int64)
_NO_TIMESTAMPS.flags.writeable = False
_NO_VALUES: Float64s = np.empty(0, dtype=np.float64)
_NO_VALUES.flags.writeable = False


def enabled() -> bool:
    """Whether ``write_batch``'s compiled loop serves: built, and not turned off."""
    return AVAILABLE and os.environ.get(KERNEL_ENV, "") != "python"


class _SeriesData:
    """Merged sorted arrays plus chunks written since the last merge, flat in ``pending``:
    ``columns, lo, hi`` per chunk, the slice ``lo:hi`` of the columns (a batch's columns are
    shared by its series; slicing is left to the merge). Flat, as a tuple per chunk would be
    an object per series and batch, made and tracked by the garbage collector."""

    __slots__ = ("pending", "series", "timestamps", "values")

    def __init__(self, series: Series) -> None:
        self.series = series
        # Shared, read-only: a new series (a consumer may see 100,000 at once) allocates none.
        self.timestamps: Int64s = _NO_TIMESTAMPS
        self.values: Float64s = _NO_VALUES
        self.pending: list[Columns | int] = []

    def chunks(self) -> Iterator[tuple[Columns, int, int]]:
        """The pending chunks as ``(columns, lo, hi)``, in write order."""
        items = iter(self.pending)
        return cast(Iterator[tuple[Columns, int, int]], zip(items, items, items, strict=True))

    def merge(self) -> None:
        if not self.pending:
            return
        chunks = list(self.chunks())
        ts = np.concatenate([self.timestamps, *(c[0][lo:hi] for c, lo, hi in chunks)])
        vs = np.concatenate([self.values, *(c[1][lo:hi] for c, lo, hi in chunks)])
        self.pending.clear()
        # Reverse so that np.unique's "first occurrence" is the latest write of a timestamp.
        unique_ts, first = np.unique(ts[::-1], return_index=True)
        self.timestamps = _frozen(unique_ts.astype(np.int64, copy=False))
        self.values = _frozen(vs[::-1][first])


def _frozen(stored: A) -> A:
    """``stored``, read-only: stored arrays are only ever replaced (``merge``), never changed,
    so a reader may keep a view of them instead of a copy, and a view of a read-only array
    cannot be written into either."""
    stored.flags.writeable = False
    return stored


class MemoryMetricBackend:
    """Metric backend keeping every series in process memory."""

    def __init__(self, id: str = "memory", groups: Iterable[str] = ("memory",)) -> None:
        self._id = id
        self._groups = frozenset(groups)
        self._lock = threading.Lock()
        # By upstream's series id: a str hashes once and compares in C, where a Series would
        # call Python's __hash__ on every lookup. The id has no separators, so two different
        # series can share it: a later one of them lives in _collided, keyed by the Series.
        self._by_id: dict[str, _SeriesData] = {}
        self._collided: dict[Series, _SeriesData] = {}
        self._distributions: dict[Series, dict[int, bytes]] = {}

    @property
    def id(self) -> str:
        return self._id

    @property
    def groups(self) -> frozenset[str]:
        return self._groups

    @property
    def reads_in_process(self) -> bool:
        return True

    async def is_ready(self) -> bool:
        return True

    async def configure(self) -> ConfigureResult:
        return ConfigureResult()

    async def close(self) -> None:
        return None

    async def write(self, series: Series, points: Points) -> None:
        """Store points; a timestamp written again takes the new value."""
        if len(points) == 0:
            return
        ts = np.asarray(points.timestamps, dtype=np.int64).copy()
        vs = np.asarray(points.values, dtype=np.float64).copy()
        if ts.shape != vs.shape:
            raise ValueError("timestamps and values must have the same length")
        with self._lock:
            self._slot(series).pending += ((ts, vs), 0, len(ts))

    def _find(self, series: Series) -> _SeriesData | None:
        data = self._by_id.get(series.id)
        if data is None or data.series is series or data.series == series:
            return data
        return self._collided.get(series)

    def _slot(self, series: Series) -> _SeriesData:
        """The data of ``series``, made on its first write (the caller holds the lock)."""
        data = self._find(series)
        if data is not None:
            return data
        if series.id not in self._by_id:
            data = self._by_id[series.id] = _SeriesData(series)
        else:
            data = self._collided[series] = _SeriesData(series)
        return data

    async def write_batch(self, batch: SeriesBatch) -> None:
        """Store the points of every series of ``batch`` under one lock hold."""
        if not len(batch):
            return
        # One copy of each column for the whole batch: every series' chunk is a slice of it.
        columns: Columns = (batch.timestamps.copy(), batch.values.copy())
        bounds = batch.bounds.tolist()
        max_len = MAX_PENDING * _CHUNK_ITEMS
        with self._lock:
            if _native is not None and enabled():
                _native.append_chunks(
                    self._by_id, self._slot, batch.series, columns, bounds, max_len
                )
                return
            # The compiled loop (workloads/core/native/src/memory.rs) does these same steps.
            by_id = self._by_id
            for i, series in enumerate(batch.series):
                data = by_id.get(series.id)
                if data is None or data.series is not series:
                    data = self._slot(series)
                pending = data.pending
                pending += (columns, bounds[i], bounds[i + 1])
                if len(pending) >= max_len:
                    data.merge()

    async def fetch(self, series: Series, range: DateRange) -> Points:
        """Points of ``series`` with ``range.start < t <= range.end``."""
        with self._lock:
            data = self._find(series)
            if data is None:
                return Points.empty()
            data.merge()
            ts, vs = data.timestamps, data.values
        lo, hi = ts.searchsorted((range.start, range.end), side="right").tolist()
        return Points(ts[lo:hi], vs[lo:hi], sorted_by_time=True)

    async def write_distributions(self, series: Series, points: Distributions) -> None:
        """Store distribution points; a timestamp written again takes the new payload."""
        if len(points) == 0:
            return
        with self._lock:
            self._distributions.setdefault(series, {}).update(points)

    async def fetch_distributions(self, series: Series, range: DateRange) -> Distributions:
        """Distribution points of ``series`` with ``range.start < t <= range.end``."""
        with self._lock:
            stored = self._distributions.get(series) or {}
            pairs = [(t, p) for t, p in stored.items() if range.contains_window(t)]
        return Distributions.of(pairs)

    def series(self) -> list[Series]:
        """Every series that has points (sorted), for tests and tools."""
        with self._lock:
            everything = [*self._by_id.values(), *self._collided.values()]
            return sorted((data.series for data in everything), key=Series.sort_key)

    async def scan_keys(self, keys: KeyRange) -> AsyncIterator[BackendKey | UnreadableKey]:
        """One key (base 0) per series with points, in series order, within ``keys``."""
        if keys.uses_tokens():
            raise RequestError(
                "the memory backend has no token ring; bound the keys by start and end key instead"
            )
        start = (keys.start.series, keys.start.base) if keys.start else None
        end = (keys.end.series, keys.end.base) if keys.end else None
        listed = 0
        for series in self.series():
            here = (series, 0)
            if start is not None and here < start:
                continue
            if end is not None and not here < end:
                return
            if keys.limit is not None and listed >= keys.limit:
                return
            listed += 1
            yield BackendKey(series, 0)

    async def count_key(self, key: BackendKey) -> int:
        """Points of the series of ``key`` (all of them: the one row is all time)."""
        with self._lock:
            data = self._find(key.series)
            if data is None:
                return 0
            data.merge()
            return len(data.timestamps)

    async def fetch_key(self, key: BackendKey, range: DateRange) -> Points:
        return await self.fetch(key.series, range)

    async def delete_key(self, key: BackendKey) -> None:
        """Forget the series' points and distribution points."""
        with self._lock:
            data = self._find(key.series)
            if data is None:
                return
            sid = key.series.id
            if self._by_id.get(sid) is data:
                del self._by_id[sid]
                # A series sharing the id moves up, or _find would no longer see it.
                other = next((s for s in self._collided if s.id == sid), None)
                if other is not None:
                    self._by_id[sid] = self._collided.pop(other)
            else:
                del self._collided[key.series]
            self._distributions.pop(key.series, None)
