"""Bucketing of sampling aggregations (reference 6.2, upstream BucketStrategyTest and
BucketAggregationTest) and the default cadence (reference 3 step 2)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from heroic_core.aggregations import (
    bucket_count,
    cadence_from_range,
    check_buckets,
    make_layout,
    parse_aggregation,
)
from heroic_core.aggregations import buckets as buckets_module
from heroic_core.aggregations.data import Chunk, PointsData
from heroic_core.aggregations.kernels import accumulate
from heroic_core.aggregations.windows import fine_layout
from heroic_core.errors import RequestError
from heroic_core.model import DateRange, Points, Series

SERIES = Series("key", {"host": "a"})


def run(agg: dict[str, Any], points: list[tuple[int, float]], start: int, end: int,
        strategy: str = "end") -> list[Any]:  # fmt: skip
    result = parse_aggregation(agg).apply(
        [(SERIES, Points.of(points))], DateRange(start, end), strategy
    )
    assert len(result.groups) == 1
    return as_json(result.groups[0].data)


def as_json(value: Any) -> Any:
    """``value`` as a client reads it (pairs may be tuples inside, arrays on the wire)."""
    return json.loads(json.dumps(value))


# upstream BucketStrategyTest: range [10, 30], size = extent = 10
@pytest.mark.parametrize(
    ("strategy", "timestamps", "expected"),
    [
        ("start", range(0, 10), (0, 0)),
        ("start", range(10, 20), (0, 1)),
        ("start", range(20, 30), (1, 2)),
        ("start", range(30, 40), (2, 2)),
        ("end", range(0, 11), (0, 0)),
        ("end", range(11, 21), (0, 1)),
        ("end", range(21, 31), (1, 2)),
        ("end", range(31, 41), (2, 2)),
    ],
)
def test_bucket_mapping_matches_upstream_table(
    strategy: str, timestamps: range, expected: tuple[int, int]
) -> None:
    layout = make_layout(DateRange(10, 30), 10, 10, strategy)
    lo, hi = layout.bounds(np.array(list(timestamps), dtype=np.int64))
    empty = expected[0] == expected[1]
    for low, high in zip(lo.tolist(), hi.tolist(), strict=True):
        if empty:
            assert low >= high
        else:
            assert (low, high) == expected


# upstream BucketAggregationTest (end strategy, summing bucket)
@pytest.mark.parametrize(
    ("size", "extent", "end", "points", "expected"),
    [
        pytest.param(
            10, 10, 30,
            [(10, 1000.0), (11, 3.0), (12, 4.0), (20, 7.0), (21, 3.0), (22, 4.0), (31, 1000.0)],
            [[20, 14.0], [30, 7.0]], id="same-sampling",
        ),
        pytest.param(
            10, 20, 30,
            [(0, 1000.0), (1, 3.0), (2, 4.0), (11, 3.0), (12, 4.0), (31, 1000.0)],
            [[20, 14.0], [30, 7.0]], id="longer-extent",
        ),
        pytest.param(
            10, 5, 30,
            [(15, 1000.0), (16, 3.0), (17, 4.0), (21, 1000.0), (25, 1000.0), (26, 3.0),
             (27, 4.0), (31, 1000.0)],
            [[20, 7.0], [30, 7.0]], id="shorter-extent",
        ),
        pytest.param(
            10, 15, 40,
            [(5, 1000.0), (6, 3.0), (7, 4.0), (16, 3.0), (17, 4.0), (40, 1.0), (41, 1000.0)],
            [[20, 14.0], [30, 7.0], [40, 1.0]], id="uneven-sampling",
        ),
    ],
)  # fmt: skip
def test_sum_buckets_match_upstream_cases(
    size: int, extent: int, end: int, points: list[tuple[int, float]], expected: list[Any]
) -> None:
    assert run({"type": "sum", "size": size, "extent": extent}, points, 10, end) == expected


@pytest.mark.parametrize(
    ("strategy", "expected"),
    [
        ("end", [[20, 3.0], [30, 30.0]]),  # buckets (10,20], (20,30]
        ("start", [[10, 3.0], [20, 30.0]]),  # buckets [10,20), [20,30)
    ],
)
def test_strategy_stamps_and_covers_buckets(strategy: str, expected: list[Any]) -> None:
    points = (
        [(10, 100.0), (11, 1.0), (19, 1.0), (20, 1.0), (21, 10.0), (29, 10.0), (30, 10.0)]
        if strategy == "end"
        else [
            (9, 100.0),
            (10, 1.0),
            (11, 1.0),
            (19, 1.0),
            (20, 10.0),
            (21, 10.0),
            (29, 10.0),
            (30, 100.0),
        ]
    )
    assert run({"type": "sum", "size": 10}, points, 10, 30, strategy) == expected


@pytest.mark.parametrize(
    ("start", "end", "size", "strategy", "count"),
    [
        (0, 60, 10, "end", 6),
        (0, 60, 10, "start", 6),
        (0, 65, 10, "end", 6),
        (0, 69, 10, "end", 6),
        (0, 70, 10, "end", 7),
        (0, 9, 10, "end", 0),
        (0, 10, 10, "end", 1),
        (0, 9, 10, "start", 0),
    ],
)
def test_bucket_count(start: int, end: int, size: int, strategy: str, count: int) -> None:
    assert bucket_count(DateRange(start, end), size, strategy) == count


@pytest.mark.parametrize(
    ("range_", "size"),
    [
        (DateRange(0, 999), 1000),  # no bucket
        (DateRange(0, 100_001), 1),  # 100001 buckets
    ],
)
def test_bad_bucket_count_fails_with_upstream_message(range_: DateRange, size: int) -> None:
    agg = parse_aggregation({"type": "average", "size": size})
    with pytest.raises(RequestError, match=r"^range \{1970-01-01 00:00:00\.000\}-\{.*\}, size "):
        check_buckets(agg, range_)


def test_bucket_count_error_formats_range_in_utc() -> None:
    with pytest.raises(RequestError) as info:
        make_layout(DateRange(1_600_000_000_123, 1_600_000_000_500), 60_000, 60_000, "end")
    assert str(info.value) == (
        "range {2020-09-13 12:26:40.123}-{2020-09-13 12:26:40.500}, size 60000: the range holds "
        "no whole bucket of this size; use a smaller size (at most 377 ms) or a longer range"
    )


THIRTY_DAYS = DateRange(0, 30 * 86_400_000)


@pytest.mark.parametrize("strategy", ["start", "end"])
def test_too_many_buckets_names_the_count_the_limit_and_the_fix(strategy: str) -> None:
    with pytest.raises(RequestError) as info:
        make_layout(THIRTY_DAYS, 1, 1, strategy)
    assert str(info.value).endswith(
        ", size 1: the aggregation would make 2592000000 buckets, more than the limit of 100000;"
        " use a larger size (at least 25920 ms, 26s) or a shorter range (at most 100000 ms at "
        "this size)"
    )


@pytest.mark.parametrize("strategy", ["start", "end"])
@pytest.mark.parametrize("span", [100_001, 2_592_000_000, 86_400_000 * 365 + 17])
def test_the_smallest_size_the_message_suggests_is_the_smallest_that_fits(
    strategy: str, span: int
) -> None:
    range_ = DateRange(1_000, 1_000 + span)
    with pytest.raises(RequestError) as info:
        make_layout(range_, 1, 1, strategy)
    smallest = int(str(info.value).split("at least ")[1].split(" ms")[0])
    with pytest.raises(RequestError):
        make_layout(range_, smallest - 1, smallest - 1, strategy)
    assert make_layout(range_, smallest, smallest, strategy).count <= 100_000
    shorter = DateRange(range_.start, range_.start + 100_000)  # "at most 100000 ms at this size"
    assert make_layout(shorter, 1, 1, strategy).count == 100_000


def test_exactly_100000_buckets_is_allowed() -> None:
    assert check_buckets(parse_aggregation({"type": "sum", "size": 1}), DateRange(0, 100_000)) == (
        100_000
    )


def test_unknown_bucket_strategy_is_rejected() -> None:
    with pytest.raises(RequestError, match="bucket strategy"):
        run({"type": "sum", "size": 10}, [(11, 1.0)], 10, 30, "middle")


@pytest.mark.parametrize(
    ("diff", "expected"),
    [
        (240 * 60_001, 60_000),  # nominal just over 1 min -> 1 min
        (240 * 60_000, 30_000),  # nominal exactly 1 min: strictly less -> 30 s
        (3_600_000, 10_000),  # 1 h: nominal 15 s -> 10 s
        (86_400_000, 300_000),  # 1 day: nominal 6 min -> 5 min
        (7 * 86_400_000, 1_800_000),  # 1 week: nominal 42 min -> 30 min
        (100, 1),  # nominal 0 -> at least 1 ms
        (240 * 20, 10),  # nominal 20 ms -> 10 ms
        (365 * 86_400_000 * 20, 1_209_600_000),  # 20 years -> 14 days
    ],
)
def test_default_cadence_from_range(diff: int, expected: int) -> None:
    assert cadence_from_range(DateRange(1000, 1000 + diff)) == expected


def test_unsorted_points_give_the_same_buckets_as_sorted_ones() -> None:
    # the sorted fast path only checks the ends of a chunk; unsorted data must still be right
    ts = np.arange(1, 20_001, dtype=np.int64) * 10
    values = np.arange(ts.shape[0], dtype=np.float64)
    shuffled = np.random.default_rng(1).permutation(ts.shape[0])
    agg = parse_aggregation({"type": "sum", "size": 1000})
    range_ = DateRange(50_000, 150_000)
    ordered = agg.apply([(SERIES, Points(ts, values))], range_)
    mixed = agg.apply([(SERIES, Points(ts[shuffled], values[shuffled]))], range_)
    assert mixed.groups[0].data == ordered.groups[0].data


@pytest.mark.parametrize(
    ("size", "extent", "strategy"),
    [
        (60, 300, "end"),
        (60, 300, "start"),
        (60, 90, "end"),  # bins of gcd 30
        (40, 100, "start"),  # bins of gcd 20
        (7, 500, "end"),
    ],
)
def test_fine_bins_agree_with_one_pass_per_bucket(size: int, extent: int, strategy: str) -> None:
    rng = np.random.default_rng(7)
    chunks = []
    for i in range(3):
        ts = np.sort(rng.choice(np.arange(-1000, 7000), 4000, replace=False)).astype(np.int64)
        series = Series("k", {"i": str(i)})
        chunks.append(Chunk({}, (series,), PointsData(ts, rng.normal(0, 100, ts.shape[0]))))
    layout = make_layout(DateRange(0, 6000), size, extent, strategy)
    assert fine_layout(layout, 12_000) is not None
    fields = frozenset({"cnt", "sum", "sum2", "min", "max"})
    fine, n_fine = accumulate(layout, chunks, fields)
    passes, n_passes = accumulate(layout, chunks, fields, fine_bins=False)
    assert n_fine == n_passes == 12_000
    np.testing.assert_array_equal(fine.n, passes.n)
    np.testing.assert_array_equal(fine.get("min"), passes.get("min"))
    np.testing.assert_array_equal(fine.get("max"), passes.get("max"))
    np.testing.assert_allclose(fine.get("sum"), passes.get("sum"), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(fine.get("sum2"), passes.get("sum2"), rtol=1e-9)


@pytest.mark.parametrize(
    ("agg", "limit"),
    [
        ({"type": "quantile", "size": 1, "extent": 100_000}, "MAX_PAIR_MEMBERSHIPS"),
        ({"type": "max", "size": 1, "extent": 99_999}, "MAX_PASS_MEMBERSHIPS"),
    ],
)
def test_pathological_extent_fails_clearly(
    agg: dict[str, Any], limit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(buckets_module, limit, 1000)
    points = [(t, 1.0) for t in range(1, 2001)]
    with pytest.raises(RequestError, match="use a smaller extent"):
        run(agg, points, 0, 100_000)
