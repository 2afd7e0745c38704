"""``Columns``: the points decoded from one fetched batch, as columns.

The Python decoders append one ``SeriesEntry`` reference (from the ``SeriesCache``), a timestamp
and a value per point; the compiled decoder hands over whole arrays (``CompiledPoints``: per
point the batch-local index of its entry). ``group`` turns the columns into a ``SeriesBatch``
(numpy, one sort) for the writer. Pure, in-process state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from heroic_consumer.series_cache import SeriesEntry
from heroic_core.model import Distributions, Series, SeriesBatch

_CODE = attrgetter("code")
_SERIES = attrgetter("series")


class CompiledPoints:
    """Points a compiled decoder handed over as arrays: per point the batch-local index of its
    series (into ``entries``), its timestamp, value and the index of its message. ``distinct``
    says that no two of ``entries`` are one entry (two raw forms of a series in the cache
    make it false): then the batch-local index alone tells series apart."""

    __slots__ = ("distinct", "entries", "locals", "messages", "timestamps", "values")

    def __init__(
        self,
        entries: list[SeriesEntry],
        locals_: npt.NDArray[np.int32],
        timestamps: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64],
        messages: npt.NDArray[np.int32],
        *,
        distinct: bool = False,
    ) -> None:
        if not len(locals_) == len(timestamps) == len(values) == len(messages):
            raise ValueError("compiled columns must have the same length")
        self.distinct = distinct
        self.entries = entries
        self.locals = locals_
        self.timestamps = timestamps
        self.values = values
        self.messages = messages

    def __len__(self) -> int:
        return len(self.timestamps)

    def codes(self) -> npt.NDArray[np.int64]:
        """The ``SeriesEntry.code`` of each point."""
        entries = self.entries
        return np.fromiter(map(_CODE, entries), dtype=np.int64, count=len(entries))[self.locals]


_Merged = tuple[
    npt.NDArray[np.int64],
    npt.ArrayLike,
    npt.ArrayLike,
    Callable[[list[int]], Iterator[SeriesEntry]],
]


class Columns:
    """Points in arrival order (``entries``, ``timestamps``, ``values``; before them those of a
    compiled decoder, ``compiled``) and distribution points (``distributions``) of one batch of
    messages. With ``compiled`` points, ``arrivals`` holds the message index of each point of
    the lists: ``group`` merges both in arrival order (a later point of a series at the same
    time wins)."""

    __slots__ = ("arrivals", "compiled", "distributions", "entries", "timestamps", "values")

    def __init__(self, compiled: CompiledPoints | None = None) -> None:
        self.entries: list[SeriesEntry] = []
        self.timestamps: list[int] = []
        self.values: list[float] = []
        self.distributions: list[tuple[SeriesEntry, int, bytes]] = []
        self.compiled = compiled
        self.arrivals: list[int] = []

    def __len__(self) -> int:
        compiled = len(self.compiled) if self.compiled is not None else 0
        return compiled + len(self.timestamps) + len(self.distributions)

    def mark(self) -> tuple[int, int]:
        """Where the columns end now (see ``rollback``)."""
        return len(self.timestamps), len(self.distributions)

    def rollback(self, mark: tuple[int, int]) -> None:
        """Drop what was appended after ``mark`` (a message turned out malformed halfway)."""
        points, distributions = mark
        del self.entries[points:], self.timestamps[points:], self.values[points:]
        del self.arrivals[points:], self.distributions[distributions:]

    def append(self, entry: SeriesEntry, timestamp: int, value: float) -> None:
        self.entries.append(entry)
        self.timestamps.append(timestamp)
        self.values.append(value)

    def points(self) -> list[tuple[SeriesEntry, int, float]]:
        """Every point as ``(entry, timestamp, value)``, in arrival order."""
        codes, timestamps, values, entries_of = self._merged()
        count = len(codes)
        return list(
            zip(
                entries_of(list(range(count))),
                np.asarray(timestamps, dtype=np.int64).tolist(),
                np.asarray(values, dtype=np.float64).tolist(),
                strict=True,
            )
        )

    def _merged(self) -> _Merged:
        """Codes, timestamps and values of every point in arrival order, and the entries of
        points given by their positions there."""
        entries = self.entries
        codes = np.fromiter(map(_CODE, entries), dtype=np.int64, count=len(entries))
        compiled = self.compiled
        if compiled is None:
            return codes, self.timestamps, self.values, lambda at: map(entries.__getitem__, at)
        local = compiled.entries.__getitem__
        if not entries:
            locals_ = compiled.locals
            return (
                compiled.codes(),
                compiled.timestamps,
                compiled.values,
                lambda at: map(local, locals_[at].tolist()),
            )
        # Some messages took the Python path: a stable sort by message index puts every point
        # where it arrived.
        arrivals = np.concatenate((compiled.messages, np.asarray(self.arrivals, dtype=np.int32)))
        order = np.argsort(arrivals, kind="stable")
        first, locals_ = len(compiled), compiled.locals

        def entries_of(at: list[int]) -> Iterator[SeriesEntry]:
            for i in order[at].tolist():
                yield local(int(locals_[i])) if i < first else entries[i - first]

        return (
            np.concatenate((compiled.codes(), codes))[order],
            np.concatenate((compiled.timestamps, np.asarray(self.timestamps, np.int64)))[order],
            np.concatenate((compiled.values, np.asarray(self.values, np.float64)))[order],
            entries_of,
        )

    def group(self, accept: Callable[[Series], bool] | None = None) -> Grouped:
        """The points per series (``SeriesBatch``), distribution points per series, and the
        series ``accept`` turned down (their points are left out)."""
        compiled = self.compiled
        if compiled is not None and compiled.distinct and not self.entries:
            batch, entries = _group_compiled(compiled)
        else:
            batch, entries = self._group_merged()
        distributions = _distributions(self.distributions)
        if accept is None:
            return Grouped(batch, distributions, [], entries)
        verdicts = {s: accept(s) for s in (*batch.series, *(s for s, _ in distributions))}
        rejected = [s for s, ok in verdicts.items() if not ok]
        if rejected:
            keep = [verdicts[s] for s in batch.series]
            batch = batch.select(keep)
            entries = [entry for entry, kept in zip(entries, keep, strict=True) if kept]
            distributions = [(s, d) for s, d in distributions if verdicts[s]]
        return Grouped(batch, distributions, rejected, entries)

    def _group_merged(self) -> tuple[SeriesBatch, list[SeriesEntry]]:
        """``group``'s batch by the entries' codes, and its series' entries."""
        codes, timestamps, values, entries_of = self._merged()
        entries: list[SeriesEntry] = []

        def series_of(firsts: npt.NDArray[np.intp]) -> Iterator[Series]:
            entries.extend(entries_of(firsts.tolist()))
            return map(_SERIES, entries)

        return SeriesBatch.group_points(series_of, codes, timestamps, values), entries


def _group_compiled(compiled: CompiledPoints) -> tuple[SeriesBatch, list[SeriesEntry]]:
    """``group``'s batch of compiled points whose entries are ``distinct``: by their
    batch-local index, without reading an entry's code."""
    entries = compiled.entries
    picked = entries

    def series_of(firsts: npt.NDArray[np.intp]) -> Iterator[Series]:
        nonlocal picked
        # Sorted by local index: when every entry has points, they come in their order.
        if len(firsts) != len(entries):
            picked = list(map(entries.__getitem__, compiled.locals[firsts].tolist()))
        return map(_SERIES, picked)

    batch = SeriesBatch.group_points(
        series_of, compiled.locals, compiled.timestamps, compiled.values
    )
    return batch, picked


class Grouped:
    """What ``Columns.group`` returns; ``entries`` are those of ``batch.series``, in order."""

    __slots__ = ("batch", "distributions", "entries", "filtered")

    def __init__(
        self,
        batch: SeriesBatch,
        distributions: list[tuple[Series, Distributions]],
        filtered: list[Series],
        entries: list[SeriesEntry],
    ) -> None:
        self.batch = batch
        self.distributions = distributions
        self.filtered = filtered
        self.entries = entries

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
