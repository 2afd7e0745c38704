"""``Columns``: the points decoded from one fetched batch, as columns; ``SeriesCache``: the series
the decoders have seen, found by the raw identity fields of a message.

A consumer sees the same few series over and over, so the hot path must not build a ``Series``
(sorted maps and upstream's Murmur3 hash) for every point. The Python decoders look the identity
fields of a message up in the ``SeriesCache`` (keyed by their raw form: raw JSON of
``attributes``, say) and append one ``SeriesEntry`` reference, a timestamp and a value per
point. The compiled decoder keeps raw identities in its own table (``IdTable``: identity -> id)
and hands over whole arrays (``CompiledPoints``); the cache then maps ids to entries. ``group``
turns the columns into a ``SeriesBatch`` (numpy, one sort) for the writer. Pure, in-process
state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from itertools import islice
from operator import attrgetter
from typing import Protocol, TypeVar, cast

import msgspec
import numpy as np
import numpy.typing as npt

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


class IdTable(Protocol):
    """Raw identities -> small integer ids, oldest evicted first (``_native.SeriesTable``)."""

    def __len__(self) -> int: ...

    def intern(self, key: bytes) -> tuple[int, bool]: ...

    def evict(self, count: int) -> list[int]: ...


_Table = TypeVar("_Table", bound=IdTable)


class SeriesCache:
    """Raw identity -> ``SeriesEntry``, oldest dropped first when ``trim`` finds more than
    ``max_size`` identities.

    Several raw forms may map to one series (attributes in another order, say); they share
    one entry, so two points of one series in a batch always have one code. ``trim`` runs
    between batches (decoders call it first), never while a batch is being decoded: an entry
    evicted and made again within one batch would give its series two codes.

    A compiled decoder keeps its raw identities in an ``IdTable`` (``use_table``); the cache
    then holds the entry of each id, counts the table's identities in its size and evicts the
    table's oldest ones in ``trim``; ``of`` keys a ``Series`` in the table too."""

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
        self._table: IdTable | None = None
        #: The entry of each id of the table (None: a free id).
        self._by_id: list[SeriesEntry | None] = []

    def __len__(self) -> int:
        return len(self.entries) + (len(self._table) if self._table is not None else 0)

    def _entry(self, series: Series) -> SeriesEntry:
        self.misses += 1
        entry = self._alive.get(series)
        if entry is None:
            entry = self._alive[series] = SeriesEntry(series)
        entry.refs += 1
        return entry

    def add(self, identity: Hashable, series: Series) -> SeriesEntry:
        """Remember ``series`` under its raw ``identity``."""
        entry = self.entries[identity] = self._entry(series)
        return entry

    def use_table(self, make: Callable[[], _Table]) -> _Table:
        """The table of raw identities of this cache's compiled decoders (made once, by
        ``make``: every decoder sharing a cache must make the same kind)."""
        if self._table is None:
            self._table = make()
        return cast("_Table", self._table)

    def add_id(self, ident: int, series: Series) -> SeriesEntry:
        """Remember ``series`` under id ``ident`` of the table (a new identity there)."""
        by_id = self._by_id
        if ident >= len(by_id):
            by_id.extend([None] * (ident + 1 - len(by_id)))
        entry = by_id[ident] = self._entry(series)
        return entry

    def entries_of(self, ids: Sequence[int]) -> list[SeriesEntry]:
        """The entries of ids of the table (each one added, none evicted since)."""
        return list(map(self._by_id.__getitem__, ids))  # type: ignore[arg-type]

    def of(self, series: Series) -> SeriesEntry:
        """The entry of an already built ``Series`` (the decoders' slow path)."""
        if self._table is not None:
            ident, new = self._table.intern(b"S" + msgspec.msgpack.encode(series.sort_key()))
            entry = None if new else self._by_id[ident]
            return entry if entry is not None else self.add_id(ident, series)
        found = self.entries.get(series)
        return found if found is not None else self.add(series, series)

    def trim(self) -> None:
        """Above ``max_size`` identities, drop the oldest ones down to seven eighths of it
        (those of the Python decoders first, then the table's)."""
        excess = len(self) - self.max_size
        if excess <= 0:
            return
        drop = excess + self.max_size // 8
        entries = self.entries
        dropped = [entries.pop(identity) for identity in list(islice(entries, drop))]
        if self._table is not None and drop > len(dropped):
            by_id = self._by_id
            for ident in self._table.evict(drop - len(dropped)):
                entry = by_id[ident]
                by_id[ident] = None
                if entry is not None:
                    dropped.append(entry)
        alive = self._alive
        for entry in dropped:
            entry.refs -= 1
            if entry.refs == 0:
                del alive[entry.series]


class CompiledPoints:
    """Points a compiled decoder handed over as arrays: per point the batch-local index of its
    series (into ``entries``), its timestamp, value and the index of its message."""

    __slots__ = ("entries", "locals", "messages", "timestamps", "values")

    def __init__(
        self,
        entries: list[SeriesEntry],
        locals_: npt.NDArray[np.int32],
        timestamps: npt.NDArray[np.int64],
        values: npt.NDArray[np.float64],
        messages: npt.NDArray[np.int32],
    ) -> None:
        if not len(locals_) == len(timestamps) == len(values) == len(messages):
            raise ValueError("compiled columns must have the same length")
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
        codes, timestamps, values, entries_of = self._merged()
        batch = SeriesBatch.group_points(
            lambda firsts: map(_SERIES, entries_of(firsts)), codes, timestamps, values
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
