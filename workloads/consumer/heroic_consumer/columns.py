"""``Columns``: the points decoded from one fetched batch, as columns; ``SeriesCache``: the series
the decoders have seen, found by the raw identity fields of a message.

A consumer sees the same few series over and over, so the hot path must not build a ``Series``
(sorted maps and upstream's Murmur3 hash) for every point. Decoders look the identity fields of
a message up in the ``SeriesCache`` (keyed by their raw form: raw JSON of ``attributes``, say)
and append one ``SeriesEntry`` reference, a timestamp and a value per point. ``group`` turns
the columns into a ``SeriesBatch`` (numpy, one sort) for the writer. Pure, in-process state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Sequence
from itertools import islice
from operator import attrgetter

import numpy as np

from heroic_core.model import Distributions, Series, SeriesBatch

#: Raw identities kept by default (each costs about 1 KiB: the key tuple and its ``Series``).
DEFAULT_SERIES_CACHE_SIZE = 200_000
_CODE = attrgetter("code")
_SERIES = attrgetter("series")


class SeriesEntry:
    """A series as the decoders hand it out, with a ``code`` unique among the entries alive in
    one process (``Columns.group`` sorts points by it) and how many raw identities of the
    ``SeriesCache`` name it (``refs``)."""

    __slots__ = ("code", "refs", "series")

    def __init__(self, series: Series) -> None:
        self.series = series
        self.code = next(_CODES)
        self.refs = 0


_CODES = itertools.count()


class SeriesCache:
    """Raw identity -> ``SeriesEntry``, oldest dropped first when ``trim`` finds more than
    ``max_size`` identities.

    Several raw forms may map to one series (attributes in another order, say); they share
    one entry, so two points of one series in a batch always have one code. ``trim`` runs
    between batches (decoders call it first), never while a batch is being decoded: an entry
    evicted and made again within one batch would give its series two codes."""

    def __init__(self, max_size: int = DEFAULT_SERIES_CACHE_SIZE) -> None:
        if max_size < 1:
            raise ValueError(f"series cache size must be at least 1, got {max_size}")
        self.max_size = max_size
        #: Looked up directly by the decoders' hot loops.
        self.entries: dict[Hashable, SeriesEntry] = {}
        # Keyed by the Series, not its id: upstream's hash concatenates without separators,
        # so {"ab": "c"} and {"a": "bc"} share an id but are different series.
        self._alive: dict[Series, SeriesEntry] = {}
        self.misses = 0

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, identity: Hashable, series: Series) -> SeriesEntry:
        """Remember ``series`` under its raw ``identity``."""
        self.misses += 1
        entry = self._alive.get(series)
        if entry is None:
            entry = self._alive[series] = SeriesEntry(series)
        entry.refs += 1
        self.entries[identity] = entry
        return entry

    def of(self, series: Series) -> SeriesEntry:
        """The entry of an already built ``Series`` (the decoders' slow path)."""
        entry = self.entries.get(series)
        return entry if entry is not None else self.add(series, series)

    def trim(self) -> None:
        """Above ``max_size`` identities, drop the oldest ones down to seven eighths of it."""
        entries = self.entries
        excess = len(entries) - self.max_size
        if excess <= 0:
            return
        alive = self._alive
        for identity in list(islice(entries, excess + self.max_size // 8)):
            entry = entries.pop(identity)
            entry.refs -= 1
            if entry.refs == 0:
                del alive[entry.series]


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
        entries = self.entries
        codes = np.fromiter(map(_CODE, entries), dtype=np.int64, count=len(entries))
        batch = SeriesBatch.group_points(
            lambda firsts: map(_SERIES, map(entries.__getitem__, firsts)),
            codes,
            self.timestamps,
            self.values,
        )
        distributions = _distributions(self.distributions)
        if accept is None:
            return Grouped(batch, distributions, [])
        verdicts = {s: accept(s) for s in (*batch.series, *(s for s, _ in distributions))}
        rejected = [s for s, ok in verdicts.items() if not ok]
        if rejected:
            batch = batch.select([verdicts[s] for s in batch.series])
            distributions = [(s, d) for s, d in distributions if verdicts[s]]
        return Grouped(batch, distributions, rejected)


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
        series: Sequence[Series] = self.batch.series
        first, last = self.batch.spans()
        if not self.distributions:
            return series, first, last
        spans = {s: [lo, hi] for s, lo, hi in zip(series, first, last, strict=True)}
        for one, points in self.distributions:
            lo, hi = int(points.timestamps[0]), int(points.timestamps[-1])
            known = spans.setdefault(one, [lo, hi])
            known[0], known[1] = min(lo, known[0]), max(hi, known[1])
        return list(spans), [lo for lo, _ in spans.values()], [hi for _, hi in spans.values()]


def _distributions(
    items: Iterable[tuple[SeriesEntry, int, bytes]],
) -> list[tuple[Series, Distributions]]:
    per_series: dict[Series, list[tuple[int, bytes]]] = {}
    for entry, timestamp, payload in items:
        per_series.setdefault(entry.series, []).append((timestamp, payload))
    return [(s, Distributions.of(pairs)) for s, pairs in per_series.items()]


def columns_of(samples: Iterable[tuple[Series, int, float | bytes]]) -> Columns:
    """Columns from ``(series, timestamp, value or distribution payload)`` triples."""
    columns = Columns()
    entries: dict[Series, SeriesEntry] = {}
    for series, timestamp, value in samples:
        entry = entries.get(series)
        if entry is None:
            entry = entries[series] = SeriesEntry(series)
        if isinstance(value, bytes):
            columns.distributions.append((entry, timestamp, value))
        else:
            columns.append(entry, timestamp, value)
    return columns
