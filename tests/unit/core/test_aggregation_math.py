"""The arithmetic of each aggregation (reference 6.1 table and 6.3), including upstream's
QuantileBucketTest, RatePerSecondTest and PointPairAreaTest cases."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from heroic_core.aggregations import AggregationResult, parse_aggregation
from heroic_core.aggregations.data import PointsData
from heroic_core.aggregations.filters import area
from heroic_core.errors import RequestError
from heroic_core.model import DateRange, Points, Series

A = Series("cpu", {"host": "a"})
B = Series("cpu", {"host": "b"})
C = Series("cpu", {"host": "c"})

# range (0, 60], size 20, end strategy: buckets (0,20] (20,40] (40,60] stamped 20, 40, 60
BASIC = [(10, 1.0), (20, 3.0), (30, 5.0), (35, math.nan)]


def apply(
    agg: dict[str, Any],
    rows: list[tuple[Series, list[tuple[int, float]]]],
    start: int = 0,
    end: int = 60,
    strategy: str = "end",
) -> AggregationResult:
    inputs = [(s, Points.of(p)) for s, p in rows]
    return parse_aggregation(agg).apply(inputs, DateRange(start, end), strategy)


def data(agg: dict[str, Any], points: list[tuple[int, float]], **kw: Any) -> list[Any]:
    result = apply(agg, [(A, points)], **kw)
    assert len(result.groups) == 1
    return as_json(result.groups[0].data)


def as_json(value: Any) -> Any:
    """``value`` as a client reads it (pairs may be tuples inside, arrays on the wire)."""
    return json.loads(json.dumps(value))


SPREAD_1 = {"count": 2, "sum": 4.0, "sum2": 10.0, "min": 1.0, "max": 3.0}
SPREAD_2 = {"count": 1, "sum": 5.0, "sum2": 25.0, "min": 5.0, "max": 5.0}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("sum", [[20, 4.0], [40, 5.0]]),
        ("sum2", [[20, 10.0], [40, 25.0]]),
        ("average", [[20, 2.0], [40, 5.0]]),
        ("min", [[20, 1.0], [40, 5.0]]),
        ("max", [[20, 3.0], [40, 5.0]]),
        ("count", [[20, 2.0], [40, 1.0], [60, 0.0]]),
        ("stddev", [[20, 1.0], [40, 0.0]]),
        ("spread", [[20, SPREAD_1], [40, SPREAD_2]]),
        ("tpl", [[20, 0.0], [40, 0.0], [60, 0.0]]),
        ("cardinality", [[20, 2.0], [40, 1.0], [60, 0.0]]),
    ],
)
def test_bucket_statistics(kind: str, expected: list[Any]) -> None:
    assert data({"type": kind, "size": 20}, BASIC) == expected


def test_non_finite_points_are_skipped_and_not_counted_as_samples() -> None:
    result = apply({"type": "sum", "size": 20}, [(A, BASIC)])
    assert result.sample_size == 3
    assert result.retained == 3  # one session of three buckets


def test_stddev_of_constant_values_is_zero_not_missing() -> None:
    assert data({"type": "stddev", "size": 60}, [(10, 0.1), (20, 0.1), (30, 0.1)]) == [[60, 0.0]]


def test_sums_overflowing_to_infinity_are_dropped() -> None:
    assert data({"type": "sum", "size": 20}, [(10, 1e308), (20, 1e308), (30, 1.0)]) == [[40, 1.0]]


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        ("average", [[60, 3.0]]),  # (4 + 5) / (2 + 1): weighted by spread counts
        ("sum", [[60, 9.0]]),
        ("sum2", [[60, 35.0]]),
        ("min", [[60, 1.0]]),
        ("max", [[60, 5.0]]),
        ("count", [[60, 2.0]]),  # counts spreads, not their points
        ("stddev", [[60, math.sqrt(35.0 / 3 - 9.0)]]),
        ("spread", [[60, {"count": 3, "sum": 9.0, "sum2": 35.0, "min": 1.0, "max": 5.0}]]),
    ],
)
def test_aggregations_over_spreads(second: str, expected: list[Any]) -> None:
    chain = {"type": "chain", "chain": [{"type": "spread", "size": 20}, {"type": second}]}
    assert data({**chain, "chain": [*chain["chain"][:1], {"type": second, "size": 60}]},
                BASIC) == expected  # fmt: skip


# upstream QuantileBucketTest
@pytest.mark.parametrize(
    ("q", "values", "expected", "tolerance"),
    [
        (0.5, [1337.0], 1337.0, 0.0),
        (0.5, [float(i) for i in range(1, 10_001)], 5000.0, 100.0),
        (0.1, [float(i) for i in range(1, 10_001)], 1000.0, 100.0),
        (0.99, [float(i) for i in range(1, 10_001)], 9900.0, 100.0),
    ],
)
def test_quantile_estimates(
    q: float, values: list[float], expected: float, tolerance: float
) -> None:
    points = [(i + 1, v) for i, v in enumerate(values)]
    out = data({"type": "quantile", "size": 20_000, "q": q}, points, end=20_000)
    assert out[0][0] == 20_000
    assert abs(out[0][1] - expected) <= tolerance


def test_quantile_omits_an_empty_bucket_instead_of_failing() -> None:
    # upstream throws "no data in estimator" here (reference 13.2)
    assert data({"type": "quantile", "size": 20}, BASIC) == [[20, 1.0], [40, 5.0]]


@pytest.mark.parametrize("q", [0.0, 1.0])
def test_quantile_extremes_do_not_fail(q: float) -> None:
    out = data({"type": "quantile", "size": 60, "q": q}, [(i, float(i)) for i in range(1, 50)])
    assert 1.0 <= out[0][1] <= 49.0


RATE_START, RATE_END = 1571686200000, 1571687100000
RATE_POINTS = [
    (1571686240329, 100.0), (1571686300329, 200.0), (1571686360329, 500.0),
    (1571686420329, 1000.0), (1571686480329, 1000.0), (1571686540329, 1100.0),
    (1571686600329, 1200.0), (1571686660329, 1300.0), (1571686720329, 1500.0),
    (1571686780329, 1600.0), (1571686840329, 1900.0), (1571686900329, 3100.0),
    (1571686960329, 3200.0), (1571687020329, 3300.0), (1571687080329, 3400.0),
]  # fmt: skip


# upstream RatePerSecondTest (sessions there use the start strategy)
@pytest.mark.parametrize(
    ("size", "checks"),
    [
        ("2m", {0: 1.66, 1: 8.33, 6: 1.66}),
        ("15m", {0: 3.928}),
    ],
)
def test_rate_per_second_matches_upstream(size: str, checks: dict[int, float]) -> None:
    out = data(
        {"type": "ratePerSecond", "size": size}, RATE_POINTS,
        start=RATE_START, end=RATE_END, strategy="start",
    )  # fmt: skip
    for index, value in checks.items():
        assert out[index][1] == pytest.approx(value, abs=0.01)


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        ([(0, 100.0), (10, 200.0), (20, 50.0), (30, 150.0)], [[60, 200.0 / 30 * 1000]]),
        ([(10, 5.0)], []),  # one point: no rate
        ([(10, 5.0), (20, 5.0)], [[60, 0.0]]),
    ],
)
def test_rate_per_second_skips_counter_resets(
    points: list[tuple[int, float]], expected: list[Any]
) -> None:
    out = data({"type": "ratePerSecond", "size": 60}, points, start=-1, end=59)
    assert [[t + 1, v] for t, v in out] == expected


def test_group_unique_keeps_first_sample_per_timestamp() -> None:
    result = apply(
        {"type": "group-unique", "size": 30},
        [(A, [(10, 1.0), (20, 2.0)]), (B, [(10, 9.0), (15, 3.0)])],
    )
    group = result.groups[0]
    assert group.metric_type.value == "groups"
    points = [[10, 1.0], [15, 3.0], [20, 2.0]]
    assert as_json(group.data) == [[30, [{"type": "points", "data": points}]]]


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ({"type": "exact"}, [[30, 2.0], [60, 0.0]]),
        ({"type": "hll", "precision": 0.01}, [[30, 2.0], [60, 0.0]]),
        ({"type": "exact", "includeKey": True}, [[30, 3.0], [60, 0.0]]),
    ],
)
def test_cardinality_counts_distinct_values(method: dict[str, Any], expected: list[Any]) -> None:
    result = apply(
        {"type": "cardinality", "size": 30, "method": method},
        [(A, [(10, 1.0), (20, 1.0), (25, 2.0)]), (B, [(10, 1.0)])],
    )
    assert as_json(result.groups[0].data) == expected


def test_cardinality_tells_negative_zero_from_zero() -> None:
    assert data({"type": "cardinality", "size": 60}, [(10, 0.0), (20, -0.0)]) == [[60, 2.0]]


@pytest.mark.parametrize(
    ("kind", "points", "expected"),
    [
        ("delta", [(10, 1.0), (20, 4.0), (30, 2.0)], [[20, 3.0], [30, -2.0]]),
        ("deltaPerSecond", [(10, 1.0), (20, 4.0), (30, 2.0)], [[20, 300.0], [30, -200.0]]),
        ("notNegative", [(10, -1.0), (20, 0.0), (30, 2.0), (40, math.nan)], [[20, 0.0], [30, 2.0]]),
        ("delta", [(10, 1.0)], []),
        ("pointsabove", [(10, 1.0), (20, 2.0), (30, 3.0)], [[30, 3.0]]),
        ("pointsbelow", [(10, 1.0), (20, 2.0), (30, 3.0)], [[10, 1.0]]),
        ("pointsabove", [(10, 1.0)], []),  # the group stays, emptied
    ],
)
def test_per_group_point_transforms(
    kind: str, points: list[tuple[int, float]], expected: list[Any]
) -> None:
    agg: dict[str, Any] = {"type": kind}
    if kind.startswith("points"):
        agg["threshold"] = 2.0
    assert data(agg, points) == expected


def test_delta_of_nan_is_serialized_as_null() -> None:
    assert data({"type": "delta"}, [(10, 1.0), (20, math.nan)]) == [[20, None]]


# upstream PointPairAreaTest
@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((2, 4.0), (4, 4.0), 8.0),
        ((3, 2.0), (5, 0.0), 2.0),
        ((2, 2.0), (7, 4.0), 15.0),
        ((2, -4.0), (4, -4.0), -8.0),
        ((3, -2.0), (5, 0.0), -2.0),
        ((2, -2.0), (7, -4.0), -15.0),
        ((3, 2.0), (6, -1.0), 1.5),
        ((3, -2.0), (6, 1.0), -1.5),
        ((3, 0.0), (6, 0.0), 0.0),
        ((3, 1.0), (3, 5.0), 0.0),  # same timestamp
    ],
)
def test_point_pair_area(a: tuple[int, float], b: tuple[int, float], expected: float) -> None:
    points = PointsData(np.array([a[0], b[0]], dtype=np.int64), np.array([a[1], b[1]]))
    assert area(points) == pytest.approx(expected, abs=1e-10)


AREA_ROWS = [
    (A, [(10, 1.0), (20, 1.0)]),  # area 10
    (B, [(10, 3.0), (20, 3.0)]),  # area 30
    (C, [(10, -2.0), (20, -2.0)]),  # area -20
    (Series("cpu", {"host": "d"}), []),  # no points: always discarded
]


@pytest.mark.parametrize(
    ("agg", "hosts"),
    [
        ({"type": "topk", "k": 2}, ["b", "a"]),
        ({"type": "topk", "k": 10}, ["b", "a", "c"]),
        ({"type": "bottomk", "k": 1}, ["c"]),
        ({"type": "topk", "k": 0}, []),
        ({"type": "abovek", "k": 1.5}, ["b"]),
        ({"type": "abovek", "k": -5}, ["a", "b", "c"]),
        ({"type": "belowk", "k": 2}, ["a", "c"]),
    ],
)
def test_group_filters(agg: dict[str, Any], hosts: list[str]) -> None:
    result = apply(agg, AREA_ROWS)
    assert [g.key["host"] for g in result.groups] == hosts


def test_group_filters_report_cadence_minus_one() -> None:
    assert parse_aggregation({"type": "topk", "k": 1}).cadence() == -1
    assert parse_aggregation({"type": "pointsabove", "threshold": 1}).cadence() == 0


def test_topk_over_non_points_is_a_clear_error() -> None:
    agg = {
        "type": "chain",
        "chain": [{"type": "group-unique", "size": 20}, {"type": "topk", "k": 1}],
    }
    with pytest.raises(RequestError, match="topk: expected points, got groups"):
        apply(agg, [(A, BASIC)])
