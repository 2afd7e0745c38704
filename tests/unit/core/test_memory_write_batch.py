"""``MemoryMetricBackend.write_batch`` on both of its loops, compiled (``heroic_core._native``)
and Python (``$HEROIC_MEMORY_KERNEL=python``): collided ids, series deleted and written again,
merges on the way, last write of a timestamp winning, and both loops storing the same."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroic_core.backends.base import BackendKey
from heroic_core.backends.memory import MemoryMetricBackend, metric
from heroic_core.backends.memory.metric import MAX_PENDING
from heroic_core.model import DateRange, Points, Series, SeriesBatch

EVERYTHING = DateRange(0, 2**62)
# upstream's hash concatenates without separators: these two share an id
AB, A = Series("k", {"ab": "c"}), Series("k", {"a": "bc"})
TABLE = [AB, A, Series("b"), Series("c", {"x": "1"})]

KERNELS = [
    pytest.param(
        "compiled",
        marks=pytest.mark.skipif(not metric.AVAILABLE, reason="heroic_core._native not built"),
    ),
    "python",
]


@pytest.fixture(params=KERNELS)
def kernel(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "python":
        monkeypatch.setenv(metric.KERNEL_ENV, "python")
    else:
        monkeypatch.delenv(metric.KERNEL_ENV, raising=False)
    assert metric.enabled() == (request.param == "compiled")
    return str(request.param)


def batch(points: list[tuple[int, int, float]]) -> SeriesBatch:
    """``(code into TABLE, timestamp, value)`` in arrival order."""
    codes, times, values = ([p[i] for p in points] for i in range(3))
    return SeriesBatch.group(TABLE, codes, times, values)


async def stored(backend: MemoryMetricBackend) -> dict[Series, list[tuple[int, float]]]:
    out: dict[Series, list[tuple[int, float]]] = {}
    for series in backend.series():
        points = await backend.fetch(series, EVERYTHING)
        out[series] = list(zip(points.timestamps.tolist(), points.values.tolist(), strict=True))
    return out


def test_series_sharing_an_id_in_one_batch_are_stored_apart(kernel: str) -> None:
    async def run() -> dict[Series, list[tuple[int, float]]]:
        backend = MemoryMetricBackend()
        await backend.write_batch(batch([(0, 1, 1.0), (1, 1, 2.0)]))  # both new
        await backend.write_batch(batch([(1, 2, 3.0), (0, 2, 4.0), (2, 2, 5.0)]))  # both known
        return await stored(backend)

    assert asyncio.run(run()) == {
        AB: [(1, 1.0), (2, 4.0)],
        A: [(1, 2.0), (2, 3.0)],
        TABLE[2]: [(2, 5.0)],
    }


def test_a_series_deleted_then_written_again_has_only_its_new_points(kernel: str) -> None:
    async def run() -> tuple[list[Series], dict[Series, list[tuple[int, float]]]]:
        backend = MemoryMetricBackend()
        await backend.write_batch(batch([(0, 1, 1.0), (1, 1, 2.0), (2, 1, 3.0)]))
        await backend.delete_key(BackendKey(AB, 0))  # A moves up into the id's place
        await backend.delete_key(BackendKey(TABLE[2], 0))
        after_delete = backend.series()
        await backend.write_batch(batch([(0, 5, 6.0), (1, 5, 7.0), (2, 5, 8.0)]))
        return after_delete, await stored(backend)

    after_delete, now = asyncio.run(run())
    assert after_delete == [A]
    assert now == {AB: [(5, 6.0)], A: [(1, 2.0), (5, 7.0)], TABLE[2]: [(5, 8.0)]}


def test_a_timestamp_written_again_takes_the_last_value(kernel: str) -> None:
    async def run() -> dict[Series, list[tuple[int, float]]]:
        backend = MemoryMetricBackend()
        await backend.write_batch(batch([(2, 1, 1.0), (2, 2, 2.0)]))
        await backend.write(TABLE[2], Points(np.array([2]), np.array([3.0])))
        await backend.write_batch(batch([(2, 2, 4.0), (2, 3, 5.0)]))
        await backend.write_batch(batch([(2, 3, 6.0)]))
        return await stored(backend)

    assert asyncio.run(run()) == {TABLE[2]: [(1, 1.0), (2, 4.0), (3, 6.0)]}


def test_more_than_max_pending_batches_merge_on_the_way(kernel: str) -> None:
    async def run() -> tuple[int, int, int]:
        backend = MemoryMetricBackend()
        longest = 0
        for i in range(MAX_PENDING + 5):
            await backend.write_batch(batch([(2, i + 1, float(i)), (0, 1, float(i))]))
            data = backend._by_id[TABLE[2].id]
            longest = max(longest, len(data.pending))
        merged = len(data.timestamps)  # what was merged without a read
        return longest, merged, await backend.count_key(BackendKey(TABLE[2], 0))

    longest, merged, count = asyncio.run(run())
    assert longest < MAX_PENDING * 3  # a full list is merged at once
    assert merged == MAX_PENDING
    assert count == MAX_PENDING + 5


def test_an_empty_batch_stores_nothing(kernel: str) -> None:
    async def run() -> list[Series]:
        backend = MemoryMetricBackend()
        await backend.write_batch(batch([]))
        return backend.series()

    assert asyncio.run(run()) == []


OPERATIONS = st.lists(
    st.one_of(
        st.lists(
            st.tuples(st.integers(0, 3), st.integers(1, 6), st.integers(-9, 9)), max_size=12
        ).map(lambda points: ("batch", points)),
        st.tuples(st.integers(0, 3), st.integers(1, 6)).map(lambda p: ("write", p)),
        st.integers(0, 3).map(lambda code: ("delete", code)),
    ),
    max_size=12,
)


@pytest.mark.skipif(not metric.AVAILABLE, reason="heroic_core._native not built")
@settings(max_examples=150, deadline=None)
@given(OPERATIONS, st.integers(1, 4))
def test_compiled_and_python_loops_store_the_same(
    operations: list[tuple[str, object]], max_pending: int
) -> None:
    # A small MAX_PENDING so that merges happen between the writes too.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(metric, "MAX_PENDING", max_pending)
        patch.setenv(metric.KERNEL_ENV, "python")
        python = asyncio.run(_apply(operations, python_loop=True))
        patch.delenv(metric.KERNEL_ENV)
        compiled = asyncio.run(_apply(operations, python_loop=False))
    assert compiled == python


async def _apply(
    operations: list[tuple[str, object]], *, python_loop: bool
) -> tuple[list[object], dict[Series, list[tuple[int, float]]], list[int]]:
    assert metric.enabled() != python_loop
    backend = MemoryMetricBackend()
    pending: list[object] = []
    for kind, arg in operations:
        if kind == "batch":
            assert isinstance(arg, list)
            await backend.write_batch(batch([(c, t, float(v)) for c, t, v in arg]))
        elif kind == "write":
            assert isinstance(arg, tuple)
            code, ts = arg
            await backend.write(TABLE[code], Points(np.array([ts]), np.array([float(ts)])))
        else:
            assert isinstance(arg, int)
            await backend.delete_key(BackendKey(TABLE[arg], 0))
        # What waits unmerged after each step, the columns' slices read out: the same on both.
        pending += [
            [(c[0][lo:hi].tolist(), c[1][lo:hi].tolist()) for c, lo, hi in data.chunks()]
            for data in [*backend._by_id.values(), *backend._collided.values()]
        ]
    counts = [await backend.count_key(BackendKey(s, 0)) for s in TABLE]
    return pending, await stored(backend), counts
