"""The sorted-points kernel (bucket edges by binary search, one ``reduceat`` per statistic)
accumulates exactly what the per-sample bucket index and ``bincount`` path does."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from heroic_core.aggregations.buckets import make_layout
from heroic_core.aggregations.data import Accumulators, PointsData, SpreadsData
from heroic_core.aggregations.kernels import (
    FIELDS,
    _columns,
    _reduce_batch,
    _reduce_sorted,
)
from heroic_core.model import DateRange


def _zeros(size: int) -> Accumulators:
    return Accumulators(
        np.zeros(size), np.zeros(size), np.zeros(size), np.zeros(size),
        np.full(size, np.inf), np.full(size, -np.inf),
    )  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 3000), st.floats(-1e9, 1e9)), max_size=60),
    st.sampled_from([1, 7, 100, 250, 1000]),
    st.sampled_from(["end", "start"]),
    st.integers(500, 1500),
    st.integers(1, 1500),
)
def test_sorted_kernel_matches_the_bucket_index_path(
    points: list[tuple[int, float]], size: int, strategy: str, start: int, length: int
) -> None:
    points.sort(key=lambda p: p[0])
    ts = np.array([t for t, _ in points], dtype=np.int64)
    vs = np.array([v for _, v in points], dtype=np.float64)
    try:
        layout = make_layout(DateRange(start, start + length), size, size, strategy)
    except Exception:  # noqa: BLE001 - a range too short for the size: nothing to compare
        return
    cols = _columns(PointsData(ts, vs))
    fast, slow = _zeros(layout.count), _zeros(layout.count)
    assert _reduce_sorted(fast, layout, cols)
    _reduce_batch(slow, layout, cols, trusted=False)
    for name in sorted(FIELDS):
        np.testing.assert_allclose(getattr(fast, name), getattr(slow, name), rtol=1e-9)


def test_unsorted_points_and_spreads_take_the_general_path() -> None:
    layout = make_layout(DateRange(0, 1000), 100, 100, "end")
    unsorted = _columns(PointsData(np.array([500, 100]), np.array([1.0, 2.0])))
    assert not _reduce_sorted(_zeros(layout.count), layout, unsorted)
    one = np.array([1.0])
    spreads = _columns(SpreadsData(np.array([500]), np.array([1]), one, one, one, one))
    assert not _reduce_sorted(_zeros(layout.count), layout, spreads)
    overlapping = make_layout(DateRange(0, 1000), 100, 300, "end")
    points = _columns(PointsData(np.array([500]), one))
    assert not _reduce_sorted(_zeros(overlapping.count), overlapping, points)
