"""A ``group`` of a reducible statistic reduces all its groups at once (``stacked``) and
answers exactly, to the last bit, what reducing each group on its own answers; where it cannot
promise that, it leaves the groups to the one-by-one path."""

from __future__ import annotations

from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroic_core.aggregations import parse_aggregation, sampling
from heroic_core.aggregations.buckets import make_layout
from heroic_core.aggregations.data import Chunk, PointsData
from heroic_core.aggregations.kernels import DIRECT_POINTS
from heroic_core.aggregations.stacked import accumulate_parts
from heroic_core.model import DateRange, Points, Series

STATS = ("sum", "sum2", "average", "min", "max", "count", "stddev", "spread", "tpl")
START, STEP = 1_000_000, 10


def _rows(
    seed: int, groups: int, lengths: list[int], *, nan: bool = False, unsorted: bool = False
) -> list[tuple[Series, Points]]:
    """Series ``s<i>`` spread over ``groups`` values of tag ``g``; values with many digits,
    so that a different order of additions would show in the last bits."""
    rng = np.random.default_rng(seed)
    rows = []
    for i, length in enumerate(lengths):
        ts = START + STEP * np.sort(rng.choice(length * 3 + 1, size=length, replace=False)) + 1
        vs = rng.normal(50, 30, length) * np.pi
        if nan and length:
            vs[rng.integers(length)] = np.nan
        if unsorted and length > 1:
            ts = ts[::-1].copy()
        series = Series("cpu", {"g": f"g{i % groups}", "s": f"s{i}"})
        rows.append((series, Points(ts.astype(np.int64), vs)))
    return rows


def _bits(result: Any) -> list[tuple[Any, ...]]:
    """Every group's key, series, type and samples, floats as their bit patterns."""
    out = []
    for g in result.groups:
        data = g.collection
        columns = [getattr(data, f) for f in data.__slots__]
        out.append((sorted(g.key.items()), [s.tags["s"] for s in g.series], g.metric_type,
                    [np.asarray(c).tobytes() for c in columns]))  # fmt: skip
    return out


def _one_by_one(
    inner: dict[str, Any], rows: list[tuple[Series, Points]], range_: DateRange
) -> list[tuple[Any, ...]]:
    """Each group through the statistic alone on ``kernels.accumulate`` (the stacked path
    declined), keyed as ``group`` keys it."""
    out = []
    with mock.patch.object(sampling, "accumulate_parts", return_value=None):
        for name in dict.fromkeys(s.tags["g"] for s, _ in rows):
            mine = [(s, p) for s, p in rows if s.tags["g"] == name]
            result = parse_aggregation(inner).apply(mine, range_, "end")
            (group,) = result.groups
            group.key = {"g": name}
            out.extend(_bits(result))
    return out


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    stat=st.sampled_from(STATS),
    groups=st.integers(1, 4),
    lengths=st.lists(st.integers(0, 40), min_size=1, max_size=8),
    size=st.sampled_from([20, 70, 300]),
    nan=st.booleans(),
    unsorted=st.booleans(),
)
def test_grouped_statistics_equal_each_group_reduced_alone(
    *, seed: int, stat: str, groups: int, lengths: list[int], size: int, nan: bool, unsorted: bool
) -> None:
    rows = _rows(seed, groups, lengths, nan=nan, unsorted=unsorted)
    range_ = DateRange(START, START + STEP * 130)
    inner = {"type": stat, "size": size}
    grouped = parse_aggregation({"type": "group", "of": ["g"], "each": inner})
    result = grouped.apply(rows, range_, "end")
    assert _bits(result) == _one_by_one(inner, rows, range_)
    with mock.patch.object(sampling, "accumulate_parts", return_value=None):
        alone = [parse_aggregation(inner).apply([r], range_, "end") for r in rows]
    assert result.sample_size == sum(a.sample_size or 0 for a in alone)


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    stat=st.sampled_from(STATS),
    lengths=st.lists(st.integers(0, 40), min_size=1, max_size=3),
    nan=st.booleans(),
)
def test_one_group_stacked_equals_the_kernels(
    *, seed: int, stat: str, lengths: list[int], nan: bool
) -> None:
    rows = _rows(seed, 1, lengths, nan=nan)
    range_ = DateRange(START, START + STEP * 130)
    aggregation = parse_aggregation({"type": stat, "size": 70})
    stacked = aggregation.apply(rows, range_, "end")
    with mock.patch.object(sampling, "accumulate_parts", return_value=None):
        kernels = aggregation.apply(rows, range_, "end")
    assert _bits(stacked) == _bits(kernels)
    assert stacked.sample_size == kernels.sample_size


@pytest.mark.parametrize("stat", STATS)
def test_long_series_several_to_a_group_equal_each_group_reduced_alone(stat: str) -> None:
    rows = _rows(7, 2, [DIRECT_POINTS + 5, DIRECT_POINTS * 2, DIRECT_POINTS, 5000])
    range_ = DateRange(START, START + STEP * 3 * (DIRECT_POINTS * 2 + 1))
    inner = {"type": stat, "size": 3_000}
    grouped = parse_aggregation({"type": "group", "of": ["g"], "each": inner})
    assert _bits(grouped.apply(rows, range_, "end")) == _one_by_one(inner, rows, range_)


def _parts(rows: list[tuple[Series, Points]], per_part: int) -> list[list[Chunk]]:
    chunks = [Chunk({}, (s,), PointsData(p.timestamps, p.values)) for s, p in rows]
    return [chunks[i : i + per_part] for i in range(0, len(chunks), per_part)]


def test_groups_are_reduced_at_once_when_the_answer_is_the_same() -> None:
    layout = make_layout(DateRange(START, START + 2000), 100, 100, "end")
    one_each = _parts(_rows(1, 3, [30, 0, 12]), 1)
    long_ones = _parts(_rows(1, 1, [DIRECT_POINTS, DIRECT_POINTS]), 2)
    assert accumulate_parts(layout, one_each, frozenset({"sum"})) is not None
    assert accumulate_parts(layout, long_ones, frozenset({"sum"})) is not None


@pytest.mark.parametrize(
    "case",
    ["non-finite value", "unsorted series", "short series sharing a group", "overlapping"],
)
def test_groups_are_left_to_the_one_by_one_path_when_the_sums_could_differ(case: str) -> None:
    extent = 300 if case == "overlapping" else 100
    layout = make_layout(DateRange(START, START + 2000), 100, extent, "end")
    rows = _rows(1, 2, [30, 12], nan=case == "non-finite value",
                 unsorted=case == "unsorted series")  # fmt: skip
    parts = _parts(rows, 2 if case == "short series sharing a group" else 1)
    assert accumulate_parts(layout, parts, frozenset({"sum"})) is None


@pytest.mark.parametrize("fields", [frozenset({"sum"}), frozenset({"min"}), frozenset({"max"})])
@pytest.mark.parametrize(("where", "value"), [(0, np.nan), (5, np.inf), (-1, -np.inf)])
def test_a_non_finite_value_anywhere_in_a_chunk_declines(
    fields: frozenset[str], where: int, value: float
) -> None:
    # Buckets cover (START + 20, START + 200]: index 0 lies before them, -1 after them.
    layout = make_layout(DateRange(START + 20, START + 200), 20, 20, "end")
    ts = START + 10 * np.arange(1, 31, dtype=np.int64)
    vs = np.arange(30, dtype=np.float64)
    vs[where] = value
    chunk = Chunk({}, (Series("k"),), PointsData(ts, vs, sorted_by_time=True))
    assert accumulate_parts(layout, [[chunk]], fields) is None


def test_points_known_sorted_are_not_checked_again() -> None:
    layout = make_layout(DateRange(START, START + 2000), 100, 100, "end")
    ts = np.array([START + 500, START + 100], dtype=np.int64)
    vs = np.array([1.0, 2.0])
    claimed = Chunk({}, (Series("k"),), PointsData(ts, vs, sorted_by_time=True))
    unknown = Chunk({}, (Series("k"),), PointsData(ts, vs))
    assert accumulate_parts(layout, [[unknown]], frozenset({"sum"})) is None
    assert accumulate_parts(layout, [[claimed]], frozenset({"sum"})) is not None


@pytest.mark.parametrize("stat", STATS)
@pytest.mark.parametrize("spoiled", [None, np.nan, np.inf], ids=["finite", "nan", "inf"])
def test_the_answer_json_holds_no_non_finite_value(stat: str, spoiled: float | None) -> None:
    rows = _rows(3, 2, [30, 30, 30, 30])
    if spoiled is not None:
        rows[0][1].values[5] = spoiled
    aggregation = {"type": "group", "of": ["g"], "each": {"type": stat, "size": 70}}
    result = parse_aggregation(aggregation).apply(rows, DateRange(START, START + 700), "end")
    for group in result.groups:
        if not isinstance(group.collection, PointsData):
            continue
        values = [v for _, v in group.data]
        assert all(v is None or np.isfinite(v) for v in values)
