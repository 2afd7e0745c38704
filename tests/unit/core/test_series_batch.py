"""``SeriesBatch``: grouping points in arrival order per series, last write of a timestamp
winning, and the memory backend storing a batch as per-series writes would."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroic_core.backends.memory import MemoryMetricBackend
from heroic_core.backends.memory.metric import MAX_PENDING
from heroic_core.model import DateRange, Points, Series, SeriesBatch

TABLE = [Series("a"), Series("b", {"x": "1"}), Series("c")]
EVERYTHING = DateRange(0, 2**62)


def test_group_sorts_each_series_and_keeps_the_last_write_of_a_timestamp() -> None:
    batch = SeriesBatch.group(TABLE, [1, 0, 1, 1, 0], [30, 5, 10, 30, 5], [1.0, 2.0, 3.0, 4.0, 5.0])
    assert batch.series == (TABLE[0], TABLE[1])
    assert batch.bounds.tolist() == [0, 1, 3]
    assert batch.points(0).timestamps.tolist() == [5]
    assert batch.points(0).values.tolist() == [5.0]
    assert batch.points(1).timestamps.tolist() == [10, 30]
    assert batch.points(1).values.tolist() == [3.0, 4.0]
    assert len(batch) == 3
    assert list(zip(batch.series, *batch.spans(), strict=True)) == [
        (TABLE[0], 5, 5),
        (TABLE[1], 10, 30),
    ]


def test_group_of_nothing_is_empty() -> None:
    batch = SeriesBatch.group(TABLE, [], [], [])
    assert len(batch) == 0
    assert batch.series == ()
    assert batch.items() == []
    assert batch.spans() == ([], [])


def test_group_refuses_columns_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="same length"):
        SeriesBatch.group(TABLE, [0, 1], [1], [1.0])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(1, 6), st.integers(-9, 9)), max_size=30))
def test_write_batch_stores_what_writes_in_arrival_order_store(
    points: list[tuple[int, int, int]],
) -> None:
    asyncio.run(_compare(points))


async def _compare(points: list[tuple[int, int, int]]) -> None:
    one_by_one, batched = MemoryMetricBackend(), MemoryMetricBackend()
    for code, ts, value in points:
        await one_by_one.write(TABLE[code], Points(np.array([ts]), np.array([float(value)])))
    codes, timestamps, values = ([p[i] for p in points] for i in range(3))
    await batched.write_batch(SeriesBatch.group(TABLE, codes, timestamps, values))
    for series in TABLE:
        want = await one_by_one.fetch(series, EVERYTHING)
        got = await batched.fetch(series, EVERYTHING)
        assert got.timestamps.tolist() == want.timestamps.tolist()
        assert got.values.tolist() == want.values.tolist()


def test_series_sharing_upstreams_id_are_stored_apart() -> None:
    # upstream's hash concatenates without separators: these two share an id
    ab, a = Series("k", {"ab": "c"}), Series("k", {"a": "bc"})
    assert ab.id == a.id
    asyncio.run(_store_apart(ab, a))


async def _store_apart(ab: Series, a: Series) -> None:
    backend = MemoryMetricBackend()
    await backend.write(ab, Points(np.array([5]), np.array([1.0])))
    await backend.write_batch(SeriesBatch.group([a, ab], [0, 1], [5, 6], [2.0, 3.0]))
    assert (await backend.fetch(ab, EVERYTHING)).values.tolist() == [1.0, 3.0]
    assert (await backend.fetch(a, EVERYTHING)).values.tolist() == [2.0]
    assert backend.series() == sorted([ab, a])


def test_many_batches_of_a_series_merge_on_the_way_and_keep_every_point() -> None:
    asyncio.run(_many_batches())


async def _many_batches() -> None:
    # More batches than MAX_PENDING: the series' chunks are merged while writing.
    backend = MemoryMetricBackend()
    rounds = MAX_PENDING + 5
    for i in range(rounds):
        codes = [0, 1, 0] if i % 2 else [1, 0]
        times = [i * 10 + 1 + c for c in range(len(codes))]  # fetches read after time 0
        batch = SeriesBatch.group(TABLE, codes, times, [float(i)] * len(codes))
        await backend.write_batch(batch)
    a = await backend.fetch(TABLE[0], EVERYTHING)
    b = await backend.fetch(TABLE[1], EVERYTHING)
    assert len(a) + len(b) == sum(3 if i % 2 else 2 for i in range(rounds))
    assert a.values.sum() + b.values.sum() == sum(
        float(i) * (3 if i % 2 else 2) for i in range(rounds)
    )
    assert a.timestamps.tolist() == sorted(a.timestamps.tolist())
