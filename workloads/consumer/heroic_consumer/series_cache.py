"""``SeriesCache``: the series the decoders have seen, found by the raw identity fields of a
message, and the ``SeriesEntry`` they hand out per series.

A consumer sees the same few series over and over, so the hot path must not build a ``Series``
(sorted maps and upstream's Murmur3 hash) for every point: the Python decoders key the cache by
a message's raw identity fields (raw JSON of ``attributes``, say); the compiled decoder keeps
raw identities in its own table (``IdTable``: identity -> id) and the cache maps ids to entries.
Either way the cache stays bounded (``max_size``, oldest first) and every raw form of one series
shares one entry. Pure, in-process state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Sequence
from itertools import islice
from typing import Protocol, TypeVar, cast

import msgspec

from heroic_core.model import Series

#: Raw identities kept by default (each costs about 1 KiB: the key tuple and its ``Series``).
DEFAULT_SERIES_CACHE_SIZE = 200_000


class SeriesEntry:
    """A series as the decoders hand it out, with a ``code`` unique among the entries alive in
    one process (``Columns.group`` sorts points by it), how many raw identities of the
    ``SeriesCache`` name it (``refs``) and until when (``time.monotonic()``) every index
    backend of the node's ``BatchWriter`` is known to have indexed it (``indexed_until``: the
    writer's check of a batch reads this first, the ``IndexCache`` only for series past it)."""

    __slots__ = ("code", "indexed_until", "refs", "series")

    def __init__(self, series: Series) -> None:
        self.series = series
        self.code = next(_CODES)
        self.refs = 0
        self.indexed_until = 0.0


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
        #: Entries named by more than one raw identity (zero: ids map to distinct entries).
        self.shared = 0
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
        if entry.refs == 2:
            self.shared += 1
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

    def add_ids(self, idents: Sequence[int], series: Sequence[Series]) -> None:
        """``add_id`` of each pair, in one call (a batch may bring 10,000 new identities)."""
        if not idents:
            return
        by_id = self._by_id
        top = max(idents) + 1
        if top > len(by_id):
            by_id.extend([None] * (top - len(by_id)))
        alive = self._alive
        self.misses += len(idents)
        # ``_entry`` inlined: calling it per series measured 2-3 % slower on 100,000 new series
        # (bench_consumer_inprocess.py); keep the two in step.
        for ident, one in zip(idents, series, strict=True):
            entry = alive.get(one)
            if entry is None:
                entry = alive[one] = SeriesEntry(one)
            entry.refs += 1
            if entry.refs == 2:
                self.shared += 1
            by_id[ident] = entry

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
            if entry.refs == 1:
                self.shared -= 1
            elif entry.refs == 0:
                del alive[entry.series]
