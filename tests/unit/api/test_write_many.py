"""``WriteService.write_many``: many series through the backends, flags and filter of
``POST /write``, one call per backend where the backend takes many series."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from heroic_api.errors import BackendCallError
from heroic_api.services.bulkwrite import BULK_INDEX_SERIES
from heroic_api.services.write import WriteService
from heroic_api.settings import IngestionSettings
from heroic_core.backends.group import BackendGroup, Backends
from heroic_core.backends.memory import (
    MemoryMetadataBackend,
    MemoryMetricBackend,
    MemorySuggestBackend,
)
from heroic_core.errors import RequestError
from heroic_core.filters import TRUE
from heroic_core.model import DateRange, Points, Series, SeriesBatch

EVERYTHING = DateRange(-1, 10_000)


def _items(count: int) -> list[tuple[Series, Points]]:
    return [
        (Series("cpu", {"host": f"h{i:04d}"}), Points.of([(1000, float(i)), (2000, 2.0 * i)]))
        for i in range(count)
    ]


class _Recording:
    """A backend double recording each call (name and series count); no bulk methods."""

    def __init__(self, id: str) -> None:
        self.id = id
        self.groups = frozenset({"default"})
        self.calls: list[tuple[str, int]] = []

    async def write(self, series: Series, arg: Any) -> None:
        self.calls.append(("write", 1))


class _BulkIndex(_Recording):
    async def write_many(self, items: Sequence[tuple[Series, DateRange]]) -> None:
        self.calls.append(("write_many", len(items)))


class _BulkAndBatchMetric(_Recording):
    async def write_many(self, items: Sequence[tuple[Series, Points]]) -> None:
        self.calls.append(("write_many", len(items)))

    async def write_batch(self, batch: SeriesBatch) -> None:
        self.calls.append(("write_batch", len(batch.series)))


def _service(
    metrics: Sequence[Any] = (),
    metadata: Sequence[Any] = (),
    suggest: Sequence[Any] = (),
    **ingestion: Any,
) -> WriteService:
    backends = Backends(
        metrics=BackendGroup.build(metrics),
        metadata=BackendGroup.build(metadata),
        suggest=BackendGroup.build(suggest),
    )
    return WriteService(IngestionSettings(**ingestion), backends, asyncio.Semaphore(8))


def test_memory_backends_store_every_series_and_index_it_over_its_span() -> None:
    metric, metadata = MemoryMetricBackend(), MemoryMetadataBackend()
    suggest = MemorySuggestBackend()
    items = _items(3)
    written = asyncio.run(_service([metric], [metadata], [suggest]).write_many(items))
    assert (written.series, written.points, len(written.times)) == (3, 6, 3)
    for series, points in items:
        stored = asyncio.run(metric.fetch(series, EVERYTHING))
        assert stored.timestamps.tolist() == points.timestamps.tolist()
        assert stored.values.tolist() == points.values.tolist()
    found = asyncio.run(metadata.find_series(TRUE, EVERYTHING)).series
    assert sorted(found) == sorted(s for s, _ in items)


def test_bulk_backends_get_one_call_per_chunk_and_others_one_per_series() -> None:
    bulk_metric, plain_metric = _BulkAndBatchMetric("bulk-m"), _Recording("plain-m")
    bulk_index, plain_index = _BulkIndex("bulk-i"), _Recording("plain-i")
    count = BULK_INDEX_SERIES + 3
    service = _service([bulk_metric, plain_metric], [bulk_index], [plain_index])
    asyncio.run(service.write_many(_items(count)))
    assert bulk_metric.calls == [("write_many", count)]  # write_many chunks by itself
    assert plain_metric.calls == [("write", 1)] * count
    assert bulk_index.calls == [("write_many", BULK_INDEX_SERIES), ("write_many", 3)]
    assert plain_index.calls == [("write", 1)] * count


def test_ingestion_filter_and_update_flags_are_honoured() -> None:
    metric, metadata = MemoryMetricBackend(), MemoryMetadataBackend()
    suggest = _Recording("suggest")
    service = _service(
        [metric], [metadata], [suggest], update_suggestions=False, filter="host = h0001"
    )
    written = asyncio.run(service.write_many(_items(3)))
    assert (written.series, written.points) == (1, 2)
    assert metric.series() == [Series("cpu", {"host": "h0001"})]
    assert list(asyncio.run(metadata.find_series(TRUE, EVERYTHING)).series) == metric.series()
    assert suggest.calls == []


def test_metrics_off_indexes_metadata_only() -> None:
    metric, metadata = MemoryMetricBackend(), MemoryMetadataBackend()
    asyncio.run(_service([metric], [metadata], update_metrics=False).write_many(_items(2)))
    assert metric.series() == []
    assert len(asyncio.run(metadata.find_series(TRUE, EVERYTHING)).series) == 2


def test_series_without_points_write_nothing() -> None:
    metric = _Recording("m")
    empty = [(Series("cpu"), Points(np.empty(0, np.int64), np.empty(0, np.float64)))]
    written = asyncio.run(_service([metric], [_Recording("i")]).write_many(empty))
    assert (written.series, written.times, metric.calls) == (0, [], [])


def test_unknown_group_is_refused_before_anything_is_written() -> None:
    metadata = _Recording("i")
    with pytest.raises(RequestError, match="no metric backend belongs to group 'nope'"):
        asyncio.run(_service([MemoryMetricBackend()], [metadata]).write_many(_items(1), "nope"))
    assert metadata.calls == []


class _Failing(_Recording):
    async def write(self, series: Series, arg: Any) -> None:
        await asyncio.sleep(0)
        raise ConnectionError("refused")


class _SlowIndex(_Recording):
    def __init__(self, id: str) -> None:
        super().__init__(id)
        self.finished = 0

    async def write(self, series: Series, arg: Any) -> None:
        await asyncio.sleep(0.01)
        self.finished += 1


def test_a_failure_is_raised_after_every_other_write_finished() -> None:
    slow = _SlowIndex("slow")
    with pytest.raises(BackendCallError, match="write to backend broken failed") as caught:
        asyncio.run(_service([_Failing("broken")], [slow]).write_many(_items(2)))
    assert caught.value.status == 503
    assert slow.finished == 2


def test_series_batch_of_items_keeps_each_series_points() -> None:
    items = _items(3)
    batch = SeriesBatch.of_items(items)

    def listed(pairs: list[tuple[Series, Points]]) -> list[Any]:
        return [(s, p.timestamps.tolist(), p.values.tolist()) for s, p in pairs]

    assert listed(batch.items()) == listed(items)
    assert len(SeriesBatch.of_items([])) == 0
