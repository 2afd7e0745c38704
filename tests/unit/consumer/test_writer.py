"""BatchWriter details: one write per series and backend, the index cache, per-worker failure
handling, and that only successful index writes are cached."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from heroic_consumer.columns import Columns, columns_of
from heroic_consumer.decode import Sample
from heroic_consumer.indexcache import IndexCache
from heroic_consumer.series_cache import SeriesEntry
from heroic_consumer.stats import ConsumerStats
from heroic_consumer.writer import BULK_SERIES, Backoff, BatchWriter, Functions
from heroic_core.backends.errors import BackendUnavailableError
from heroic_core.backends.group import BackendGroup, Backends
from heroic_core.backends.memory import MemoryMetadataBackend, MemoryMetricBackend
from heroic_core.model import DateRange, Points, Series
from tests.unit.consumer.helpers import EVERYTHING

pytestmark = pytest.mark.anyio


class CountingMetadata(MemoryMetadataBackend):
    """Memory metadata that counts writes and can fail the next ``failures`` of them."""

    def __init__(self) -> None:
        super().__init__("meta", ("meta",))
        self.writes: list[tuple[Series, DateRange]] = []
        self.failures = 0

    async def write(self, series: Series, range: DateRange) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise BackendUnavailableError("index unreachable")
        self.writes.append((series, range))
        await super().write(series, range)

    async def write_many(self, items: Sequence[tuple[Series, DateRange]]) -> None:
        for series, range in items:  # through write: its failures apply per series
            await self.write(series, range)


def _writer(
    metadata: CountingMetadata, cache: IndexCache, concurrency: int = 4
) -> tuple[BatchWriter, MemoryMetricBackend]:
    metrics = MemoryMetricBackend()
    backends = Backends(
        metrics=BackendGroup.build([metrics]), metadata=BackendGroup.build([metadata])
    )
    writer = BatchWriter(
        backends, Functions(True, True, False), ConsumerStats(), concurrency=concurrency,
        index_cache=cache, backoff=Backoff(0.001, 0.002),
    )  # fmt: skip
    return writer, metrics


def _samples(count: int, series: int) -> list[Sample]:
    return [Sample(Series("k", {"n": str(i % series)}), 1000 + i, float(i)) for i in range(count)]


async def test_points_of_a_series_are_merged_and_indexed_over_their_span() -> None:
    metadata = CountingMetadata()
    writer, metrics = _writer(metadata, IndexCache(ttl=0))
    await writer.write(_samples(9, 3))
    assert sorted((s.tags["n"], r.start, r.end) for s, r in metadata.writes) == [
        ("0", 1000, 1006), ("1", 1001, 1007), ("2", 1002, 1008),
    ]  # fmt: skip
    points = await metrics.fetch(Series("k", {"n": "1"}), EVERYTHING)
    assert [p.timestamp for p in points] == [1001, 1004, 1007]


async def test_distribution_points_widen_the_indexed_span_of_their_series() -> None:
    metadata = CountingMetadata()
    writer, _ = _writer(metadata, IndexCache(ttl=600))
    a, b = Series("k", {"n": "a"}), Series("k", {"n": "b"})
    triples: list[tuple[Series, int, float | bytes]] = [
        (a, 7, 1.0),
        (b, 3, b"\x01"),
        (a, 9, 2.0),
        (b, 8, 3.0),
        (a, 2, b"\x02"),
    ]
    await writer.write_columns(columns_of(triples))
    assert sorted((s.tags["n"], r.start, r.end) for s, r in metadata.writes) == [
        ("a", 2, 9), ("b", 3, 8),
    ]  # fmt: skip
    await writer.write_columns(columns_of([(a, 20, b"\x03"), (b, 21, 1.0)]))
    assert len(metadata.writes) == 2  # both indexed recently


async def test_recently_indexed_series_are_not_indexed_again() -> None:
    metadata = CountingMetadata()
    writer, _ = _writer(metadata, IndexCache(ttl=600))
    await writer.write(_samples(10, 5))
    await writer.write(_samples(10, 5))
    assert len(metadata.writes) == 5


async def test_failed_index_writes_are_retried_and_cached_only_after_success() -> None:
    metadata = CountingMetadata()
    metadata.failures = 3
    cache = IndexCache(ttl=600)
    writer, metrics = _writer(metadata, cache, concurrency=2)
    await writer.write(_samples(20, 10))
    assert sorted(s.tags["n"] for s, _ in metadata.writes) == sorted(str(i) for i in range(10))
    assert len(cache) == 10
    assert len(metrics.series()) == 10


def test_index_cache_expires_and_evicts() -> None:
    now = [0.0]
    cache = IndexCache(ttl=10, max_size=2, clock=lambda: now[0])
    cache.remember("b", ["s1", "s2"])
    assert cache.fresh("b", "s1")
    assert not cache.fresh("other", "s1")
    cache.remember("b", ["s3"])
    assert not cache.fresh("b", "s1")  # evicted: oldest first
    now[0] = 11.0
    assert not cache.fresh("b", "s3")


def test_index_cache_with_zero_ttl_is_off() -> None:
    cache = IndexCache(ttl=0)
    cache.remember("b", ["s"])
    assert not cache.fresh("b", "s")
    assert len(cache) == 0


async def test_out_of_order_and_repeated_timestamps_in_a_batch_are_sorted_last_wins() -> None:
    metadata = CountingMetadata()
    writer, metrics = _writer(metadata, IndexCache(ttl=0))
    series = Series("k")
    samples = [Sample(series, ts, v) for ts, v in [(30, 1.0), (10, 2.0), (30, 3.0), (20, 4.0)]]
    await writer.write(samples)
    points = await metrics.fetch(series, EVERYTHING)
    assert [(p.timestamp, p.value) for p in points] == [(10, 2.0), (20, 4.0), (30, 3.0)]
    assert [(r.start, r.end) for _, r in metadata.writes] == [(10, 30)]


class BulkMetrics(MemoryMetricBackend):
    """Memory metrics offering ``write_many``; records each request's series count and can fail
    the next ``failures`` requests."""

    def __init__(self) -> None:
        super().__init__("bulk", ("bulk",))
        self.requests: list[int] = []
        self.single_writes = 0
        self.failures = 0

    async def write(self, series: Series, points: Points) -> None:
        self.single_writes += 1
        await super().write(series, points)

    async def write_many(self, items: Sequence[tuple[Series, Points]]) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise BackendUnavailableError("bulk unreachable")
        self.requests.append(len(items))
        for series, points in items:
            await super().write(series, points)


def _bulk_writer(metrics: BulkMetrics, concurrency: int = 4) -> BatchWriter:
    backends = Backends(metrics=BackendGroup.build([metrics]))
    return BatchWriter(
        backends, Functions(True, False, False), ConsumerStats(), concurrency=concurrency,
        backoff=Backoff(0.001, 0.002),
    )  # fmt: skip


async def test_a_bulk_backend_gets_many_series_per_request_not_one_write_each() -> None:
    metrics = BulkMetrics()
    series = BULK_SERIES * 2 + 10
    await _bulk_writer(metrics).write(_samples(series * 2, series))
    assert metrics.single_writes == 0
    # three workers (ceil(1010 / 500)) share the series, one request each
    assert sorted(metrics.requests) == [336, 337, 337]
    assert sum(metrics.requests) == series
    points = await metrics.fetch(Series("k", {"n": "7"}), EVERYTHING)
    assert [p.timestamp for p in points] == [1007, 1007 + series]


async def test_a_failed_bulk_request_is_retried_and_nothing_is_lost() -> None:
    metrics = BulkMetrics()
    metrics.failures = 2
    await _bulk_writer(metrics, concurrency=1).write(_samples(30, 30))
    assert metrics.requests == [30]
    assert len(metrics.series()) == 30


def _columns(entries: list[SeriesEntry], timestamp: int) -> Columns:
    """One point of each entry's series at ``timestamp``, as a decoder hands them out."""
    columns = Columns()
    for entry in entries:
        columns.append(entry, timestamp, 1.0)
    return columns


async def test_series_indexed_by_every_backend_are_marked_on_their_entry_until_the_ttl() -> None:
    now = [100.0]
    cache = IndexCache(ttl=10, clock=lambda: now[0])
    metadata = CountingMetadata()
    writer, _ = _writer(metadata, cache)
    entries = [SeriesEntry(Series("k", {"n": str(i)})) for i in range(3)]
    await writer.write_columns(_columns(entries, 1))
    assert len(metadata.writes) == 3
    assert [e.indexed_until for e in entries] == [110.0] * 3
    now[0] = 109.0
    await writer.write_columns(_columns(entries, 2))
    assert len(metadata.writes) == 3
    now[0] = 111.0  # past the ttl: indexed again, and marked anew
    await writer.write_columns(_columns(entries, 3))
    assert len(metadata.writes) == 6
    assert [e.indexed_until for e in entries] == [121.0] * 3


async def test_an_entry_is_marked_only_once_its_index_writes_succeeded() -> None:
    now = [100.0]
    metadata = CountingMetadata()
    metadata.failures = 1
    writer, _ = _writer(metadata, IndexCache(ttl=10, clock=lambda: now[0]))
    entry = SeriesEntry(Series("k", {"n": "0"}))
    task = asyncio.ensure_future(writer.write_columns(_columns([entry], 1)))
    while metadata.failures != 0:
        await asyncio.sleep(0)
    assert entry.indexed_until == 0.0  # failed once: being retried, not marked
    await task
    assert entry.indexed_until == 110.0
    assert len(metadata.writes) == 1


async def test_a_new_entry_of_a_series_the_index_cache_knows_is_not_written_again() -> None:
    now = [100.0]
    metadata = CountingMetadata()
    writer, _ = _writer(metadata, IndexCache(ttl=10, clock=lambda: now[0]))
    series = Series("k", {"n": "0"})
    await writer.write_columns(_columns([SeriesEntry(series)], 1))
    again = SeriesEntry(series)  # evicted from the series cache and made again
    await writer.write_columns(_columns([again], 2))
    assert len(metadata.writes) == 1
    assert again.indexed_until == 0.0  # nothing was written: the cache alone knows
