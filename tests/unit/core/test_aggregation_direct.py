"""A ``group`` (or ``collapse``) of a statistic makes its groups straight from the fetched rows
(``_apply_direct``): the same groups, keys, series, samples, counts and JSON as evaluating a
chunk per row and per step, on generated rows; what it cannot promise goes the general way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from unittest import mock

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from heroic_core.aggregations import AggregationResult, parse_aggregation
from heroic_core.aggregations.base import Env
from heroic_core.aggregations.data import Chunk
from heroic_core.aggregations.grouping import _Grouping
from heroic_core.aggregations.kernels import DIRECT_POINTS
from heroic_core.model import DateRange, Distributions, Points, Series

STATS = ("sum", "sum2", "average", "min", "max", "count", "stddev", "spread", "tpl",
         "cardinality", "pointsabove")  # fmt: skip
START, STEP = 1_000_000, 10
RANGE = DateRange(START, START + STEP * 130)

tag_value = st.sampled_from(["a", "b", "c"])
series_strategy = st.builds(
    Series,
    key=st.sampled_from(["cpu", "mem"]),
    tags=st.dictionaries(st.sampled_from(["host", "dc", "role"]), tag_value, max_size=3),
    resource=st.dictionaries(st.sampled_from(["host", "pod"]), tag_value, max_size=1),
)


def _points(seed: int, length: int, nan: bool) -> Points:
    """Random times with gaps (sorted, as backends hand them), values with many digits."""
    rng = np.random.default_rng(seed)
    ts = START + STEP * np.sort(rng.choice(length * 3 + 1, size=length, replace=False)) + 1
    vs = rng.normal(50, 30, length) * np.pi
    if nan and length:
        vs[rng.integers(length)] = np.nan
    return Points(ts.astype(np.int64), vs, sorted_by_time=True)


def _general(aggregation: dict[str, Any], rows: list[Any]) -> AggregationResult:
    with mock.patch.object(_Grouping, "_apply_direct", return_value=None):
        return parse_aggregation(aggregation).apply(rows, RANGE, "end")


def _seen(result: AggregationResult) -> list[Any]:
    """Everything a caller reads: key (in order), series, type, samples bit for bit, JSON."""
    out: list[Any] = [result.sample_size, result.retained]
    for g in result.groups:
        columns = [np.asarray(getattr(g.collection, f)).tobytes() for f in g.collection.__slots__]
        out.append((list(g.key.items()), g.series, g.metric_type, columns, g.data))
    return out


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    series=st.lists(series_strategy, min_size=1, max_size=8),
    # Short series sharing a group, or a NaN, are left to the general path; long ones not.
    lengths=st.lists(
        st.sampled_from([0, 1, 12, 40, DIRECT_POINTS, DIRECT_POINTS + 9]), min_size=8, max_size=8
    ),
    stat=st.sampled_from(STATS),
    shape=st.sampled_from(["group", "collapse"]),
    of=st.one_of(st.none(), st.lists(st.sampled_from(["host", "dc", "pod"]), max_size=2)),
    size=st.sampled_from([20, 70, 300]),
    nan=st.sampled_from([False, False, False, True]),
    twice=st.booleans(),
)
def test_direct_groups_equal_the_general_path(
    *, seed: int, series: list[Series], lengths: list[int], stat: str, shape: str,
    of: list[str] | None, size: int, nan: bool, twice: bool,
) -> None:  # fmt: skip
    rows: list[Any] = [(s, _points(seed + i, lengths[i], nan)) for i, s in enumerate(series)]
    if twice:  # the same series from two backends
        rows.append(rows[0])
    inner: dict[str, Any] = {"type": stat, "size": size}
    if stat == "pointsabove":
        inner = {"type": stat, "threshold": 50}
    aggregation: dict[str, Any] = {"type": shape, "each": inner}
    if of is not None:
        aggregation["of"] = of
    direct = parse_aggregation(aggregation).apply(rows, RANGE, "end")
    assert _seen(direct) == _seen(_general(aggregation, rows))


def test_the_usual_grouped_query_takes_the_direct_path() -> None:
    rows = [(Series("cpu", {"host": f"h{i}"}), _points(i, 30, False)) for i in range(5)]
    aggregation = parse_aggregation({"type": "group", "of": ["host"], "each": {"type": "average"}})
    with mock.patch.object(_Grouping, "_evaluate", side_effect=AssertionError("general path")):
        result = aggregation.apply(rows, RANGE, "end")
    assert [g.key for g in result.groups] == [{"host": f"h{i}"} for i in range(5)]


def test_the_resource_wins_and_a_series_fetched_twice_counts_once() -> None:
    both = Series("cpu", {"host": "tag", "dc": "x"}, {"host": "resource"})
    other = Series("cpu", {"host": "resource", "dc": "y"})
    long = _points(5, DIRECT_POINTS + 3, False)
    rows: list[Any] = [(both, long), (other, long), (both, long), (Series("cpu"), long)]
    for of in (["host"], ["dc", "host"], None):
        aggregation: dict[str, Any] = {"type": "group", "of": of, "each": {"type": "max"}}
        general: list[int] = []
        with mock.patch.object(_Grouping, "_evaluate", _spy(general)):
            direct = parse_aggregation(aggregation).apply(rows, RANGE, "end")
        assert general == []
        assert _seen(direct) == _seen(_general(aggregation, rows))
    assert [g.series for g in direct.groups][:1] == [[both]]


def test_distributions_and_declined_reductions_take_the_general_path() -> None:
    aggregation = {"type": "group", "of": ["host"], "each": {"type": "sum", "size": 70}}
    spoiled = _points(1, 30, True)  # a NaN: the stacked reduction declines
    distributions = Distributions(np.array([START + 1], dtype=np.int64), (b"\x00",))
    for second in (spoiled, distributions):
        rows: list[Any] = [(Series("cpu", {"host": "a"}), _points(0, 30, False)),
                           (Series("cpu", {"host": "b"}), second)]  # fmt: skip
        general: list[int] = []
        with mock.patch.object(_Grouping, "_evaluate", _spy(general)):
            result = parse_aggregation(aggregation).apply(rows, RANGE, "end")
        assert general == [2]
        assert _seen(result) == _seen(_general(aggregation, rows))


def _spy(calls: list[int]) -> Callable[[_Grouping, list[Chunk], Env], list[Chunk]]:
    """``_Grouping._evaluate`` that notes how many chunks each call was given."""
    evaluate = _Grouping._evaluate

    def spy(self: _Grouping, chunks: list[Chunk], env: Env) -> list[Chunk]:
        calls.append(len(chunks))
        return evaluate(self, chunks, env)

    return spy
