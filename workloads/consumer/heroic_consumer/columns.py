"""``Columns``: the points decoded from one fetched batch, as columns; ``SeriesCache``: the series
the decoders have seen, found by the raw identity fields of a message.

A consumer sees the same few series over and over, so the hot path must not build a ``Series``
(sorted maps and upstream's Murmur3 hash) for every point. Decoders look the identity fields of
a message up in the ``SeriesCache`` (keyed by their raw form: raw JSON of ``attributes``, say)
and append one ``SeriesEntry`` reference, a timestamp and a value per point. ``group`` turns
the columns into a ``SeriesBatch`` (numpy, one sort) for the writer. Pure, in-process state.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from itertools import islice
from operator import attrgetter

import numpy as np

from heroic_core.model import Distributions, Series, SeriesBatch

#: Raw identities kept by default (each costs about 1 KiB: the key tuple and its ``Series``).
DEFAULT_SERIES_CACHE_SIZE = 200_000
_SLOT = attrgetter("slot")


class SeriesEntry:
    """A series as the decoders hand it out; ``slot`` is scratch space of ``Columns.group``."""

    __slots__ = ("series", "slot")

    def __init__(self, series: Series) -> None:
        self.series = series
        self.slot = 0


class SeriesCache:
    """Raw identity -> ``SeriesEntry``, at most ``max_size`` of them, oldest dropped first.

    Several raw forms may map to one series (attributes in another order, say): ``group``
    merges them by series id, so the cache needs no second index."""

    def __init__(self, max_size: int = DEFAULT_SERIES_CACHE_SIZE) -> None:
        if max_size < 1:
            raise ValueError(f"series cache size must be at least 1, got {max_size}")
        self.max_size = max_size
        #: Looked up directly by the decoders' hot loops.
        self.entries: dict[Hashable, SeriesEntry] = {}
        self.misses = 0

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, identity: Hashable, series: Series) -> SeriesEntry:
        """Remember ``series`` under its raw ``identity``; evicts the oldest eighth when full."""
        self.misses += 1
        entries = self.entries
        if len(entries) >= self.max_size:
            for old in list(islice(entries, max(1, self.max_size // 8))):
                del entries[old]
        entry = entries[identity] = SeriesEntry(series)
        return entry

    def of(self, series: Series) -> SeriesEntry:
        """The entry of an already built ``Series`` (the decoders' slow path)."""
        entry = self.entries.get(series.id)
        return entry if entry is not None else self.add(series.id, series)


class Columns:
    """Points in arrival order (``entries``, ``timestamps``, ``values``) and distribution points
    (``distributions``) of one batch of messages."""

    __slots__ = ("distributions", "entries", "timestamps", "values")

    def __init__(self) -> None:
        self.entries: list[SeriesEntry] = []
        self.timestamps: list[int] = []
        self.values: list[float] = []
        self.distributions: list[tuple[SeriesEntry, int, bytes]] = []

    def __len__(self) -> int:
        return len(self.timestamps) + len(self.distributions)

    def mark(self) -> tuple[int, int]:
        """Where the columns end now (see ``rollback``)."""
        return len(self.timestamps), len(self.distributions)

    def rollback(self, mark: tuple[int, int]) -> None:
        """Drop what was appended after ``mark`` (a message turned out malformed halfway)."""
        points, distributions = mark
        del self.entries[points:], self.timestamps[points:], self.values[points:]
        del self.distributions[distributions:]

    def append(self, entry: SeriesEntry, timestamp: int, value: float) -> None:
        self.entries.append(entry)
        self.timestamps.append(timestamp)
        self.values.append(value)

    def group(self, accept: Callable[[Series], bool] | None = None) -> Grouped:
        """The points per series (``SeriesBatch``), distribution points per series, and the
        series ``accept`` turned down (their points are left out)."""
        slots: dict[str, int] = {}
        table: list[Series] = []
        distinct = dict.fromkeys(self.entries)
        if self.distributions:
            distinct.update(dict.fromkeys(e for e, _, _ in self.distributions))
        for entry in distinct:
            series = entry.series
            slot = slots.get(series._id)
            if slot is None:
                slot = slots[series._id] = len(table)
                table.append(series)
            entry.slot = slot
        accepted = [True] * len(table) if accept is None else [accept(s) for s in table]
        rejected = [s for s, ok in zip(table, accepted, strict=True) if not ok]
        codes = np.fromiter(map(_SLOT, self.entries), dtype=np.int64, count=len(self.entries))
        timestamps = np.array(self.timestamps, dtype=np.int64)
        values = np.array(self.values, dtype=np.float64)
        distributions = self.distributions
        if rejected:
            keep = np.array(accepted, dtype=bool)[codes]
            codes, timestamps, values = codes[keep], timestamps[keep], values[keep]
            distributions = [d for d in distributions if accepted[d[0].slot]]
        batch = SeriesBatch.group(table, codes, timestamps, values)
        return Grouped(batch, _distributions(distributions), rejected)


class Grouped:
    """What ``Columns.group`` returns."""

    __slots__ = ("batch", "distributions", "filtered")

    def __init__(
        self,
        batch: SeriesBatch,
        distributions: list[tuple[Series, Distributions]],
        filtered: list[Series],
    ) -> None:
        self.batch = batch
        self.distributions = distributions
        self.filtered = filtered

    def spans(self) -> tuple[Sequence[Series], list[int], list[int]]:
        """Every written series with the first and last timestamp of its points and
        distribution points."""
        batch = self.batch
        series: Sequence[Series] = batch.series
        if len(batch):
            first = batch.timestamps[batch.bounds[:-1]].tolist()
            last = batch.timestamps[batch.bounds[1:] - 1].tolist()
        else:
            first, last = [], []
        if not self.distributions:
            return series, first, last
        spans = {s.id: [s, lo, hi] for s, lo, hi in zip(series, first, last, strict=True)}
        for one, points in self.distributions:
            lo, hi = int(points.timestamps[0]), int(points.timestamps[-1])
            known = spans.get(one.id)
            if known is None:
                spans[one.id] = [one, lo, hi]
            else:
                known[1], known[2] = min(lo, known[1]), max(hi, known[2])
        values = list(spans.values())
        return [v[0] for v in values], [v[1] for v in values], [v[2] for v in values]


def _distributions(
    items: Iterable[tuple[SeriesEntry, int, bytes]],
) -> list[tuple[Series, Distributions]]:
    per_series: dict[str, tuple[Series, list[tuple[int, bytes]]]] = {}
    for entry, timestamp, payload in items:
        series = entry.series
        found = per_series.get(series.id)
        if found is None:
            found = per_series[series.id] = (series, [])
        found[1].append((timestamp, payload))
    return [(s, Distributions.of(pairs)) for s, pairs in per_series.values()]


def columns_of(samples: Iterable[tuple[Series, int, float | bytes]]) -> Columns:
    """Columns from ``(series, timestamp, value or distribution payload)`` triples."""
    columns = Columns()
    entries: dict[str, SeriesEntry] = {}
    for series, timestamp, value in samples:
        entry = entries.get(series.id)
        if entry is None:
            entry = entries[series.id] = SeriesEntry(series)
        if isinstance(value, bytes):
            columns.distributions.append((entry, timestamp, value))
        else:
            columns.append(entry, timestamp, value)
    return columns
