"""Grouping, collapse, chains, opts and raw data (reference 3 step 8 and 6.1), plus the
counters and checks the query engine uses (cadence, estimate, retained, sample size)."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from heroic_core.aggregations import (
    AggregationResult,
    Empty,
    aggregation_or_empty,
    check_buckets,
    input_key,
    parse_aggregation,
)
from heroic_core.model import DateRange, MetricType, Points, Series

AX = Series("cpu", {"host": "a", "site": "x"})
BX = Series("cpu", {"host": "b", "site": "x"})
CY = Series("cpu", {"host": "c", "site": "y"})
NOSITE = Series("cpu", {"host": "d"})

ROWS = [
    (AX, [(10, 1.0), (20, 2.0)]),
    (BX, [(10, 10.0), (20, 20.0)]),
    (CY, [(10, 100.0), (20, 200.0)]),
]
RANGE = DateRange(0, 20)


def apply(agg: dict[str, Any] | None, rows: list[tuple[Series, list[tuple[int, float]]]],
          range_: DateRange = RANGE) -> AggregationResult:  # fmt: skip
    aggregation = aggregation_or_empty(None if agg is None else parse_aggregation(agg))
    return aggregation.apply([(s, Points.of(p)) for s, p in rows], range_)


def by_key(result: AggregationResult) -> dict[tuple[tuple[str, str], ...], list[Any]]:
    return {tuple(sorted(g.key.items())): as_json(g.data) for g in result.groups}


def as_json(value: Any) -> Any:
    """``value`` as a client reads it (pairs may be tuples inside, arrays on the wire)."""
    return json.loads(json.dumps(value))


SUM20 = {"type": "sum", "size": 20}


@pytest.mark.parametrize(
    ("agg", "expected"),
    [
        (
            {"type": "group", "of": ["site"], "each": SUM20},
            {(("site", "x"),): [[20, 33.0]], (("site", "y"),): [[20, 300.0]]},
        ),
        ({"type": "group", "of": [], "each": SUM20}, {(): [[20, 333.0]]}),
        (
            {"type": "group", "each": SUM20},  # no "of": the full input key
            {
                (("host", "a"), ("site", "x")): [[20, 3.0]],
                (("host", "b"), ("site", "x")): [[20, 30.0]],
                (("host", "c"), ("site", "y")): [[20, 300.0]],
            },
        ),
        (
            {"type": "collapse", "of": ["host"], "each": SUM20},
            {(("site", "x"),): [[20, 33.0]], (("site", "y"),): [[20, 300.0]]},
        ),
        ({"type": "collapse", "each": SUM20}, {(): [[20, 333.0]]}),
        (SUM20, {(): [[20, 333.0]]}),  # a bare bucket aggregation: one group, empty key
    ],
)
def test_grouping_keys(agg: dict[str, Any], expected: dict[Any, Any]) -> None:
    assert by_key(apply(agg, ROWS)) == expected


def test_group_omits_tags_a_series_lacks() -> None:
    result = apply({"type": "group", "of": ["site"], "each": SUM20}, [*ROWS, (NOSITE, [(5, 7.0)])])
    assert by_key(result)[()] == [[20, 7.0]]


def test_group_reports_its_input_series() -> None:
    result = apply({"type": "group", "of": ["site"], "each": SUM20}, ROWS)
    assert [sorted(s.tags["host"] for s in g.series) for g in result.groups] == [["a", "b"], ["c"]]


def test_group_without_each_returns_raw_data_per_group() -> None:
    result = apply({"type": "group", "of": ["site"]}, ROWS)
    assert by_key(result)[(("site", "x"),)] == [[10, 1.0], [10, 10.0], [20, 2.0], [20, 20.0]]


def test_input_key_is_tags_plus_resource_resource_wins() -> None:
    series = Series("cpu", {"host": "a", "pod": "tag"}, {"pod": "p-1", "zone": "z"})
    assert input_key(series) == {"host": "a", "pod": "p-1", "zone": "z"}


def test_group_by_resource_entry() -> None:
    r1 = Series("cpu", {"host": "a"}, {"pod": "p1"})
    r2 = Series("cpu", {"host": "a"}, {"pod": "p2"})
    result = apply(
        {"type": "group", "of": ["pod"], "each": SUM20}, [(r1, [(5, 1.0)]), (r2, [(5, 2.0)])]
    )
    assert by_key(result) == {(("pod", "p1"),): [[20, 1.0]], (("pod", "p2"),): [[20, 2.0]]}


def test_empty_merges_series_with_the_same_key_in_time_order() -> None:
    s1 = Series("cpu", {"host": "a"}, {"pod": "p"})
    s2 = Series("mem", {"host": "a", "pod": "p"})  # different series, same group key
    result = apply(None, [(s1, [(10, 1.0), (30, 3.0)]), (s2, [(20, 2.0), (30, math.nan)])])
    assert len(result.groups) == 1
    group = result.groups[0]
    assert group.key == {"host": "a", "pod": "p"}
    assert as_json(group.data) == [[10, 1.0], [20, 2.0], [30, 3.0], [30, None]]
    assert len(group.series) == 2
    assert group.metric_type is MetricType.POINTS
    assert result.sample_size is None  # no bucket aggregation ran
    assert result.retained == 4


def test_rows_without_points_still_form_groups() -> None:
    result = apply({"type": "group", "of": ["host"], "each": {"type": "count", "size": 10}},
                   [(AX, []), (BX, [(10, 1.0)])])  # fmt: skip
    assert by_key(result) == {(("host", "a"),): [[10, 0.0], [20, 0.0]],
                              (("host", "b"),): [[10, 1.0], [20, 0.0]]}  # fmt: skip


def test_no_rows_means_no_groups() -> None:
    result = apply(SUM20, [])
    assert result.groups == []
    assert result.sample_size is None


# reference 5.4: ``average by host | sum by site``
CHAIN = {
    "type": "chain",
    "chain": [
        {"type": "group", "of": ["host"], "each": {"type": "average", "size": 10}},
        {"type": "group", "of": ["site"], "each": {"type": "sum", "size": 20}},
    ],
}


def test_chain_propagates_later_group_tags_into_earlier_groups() -> None:
    resolved = parse_aggregation(CHAIN).with_default_size(1000).to_json()
    assert resolved["chain"][0]["of"] == ["host", "site"]
    assert resolved["chain"][1]["of"] == ["site"]


def test_chain_feeds_each_step_into_the_next() -> None:
    result = apply(CHAIN, ROWS)
    assert by_key(result) == {(("site", "x"),): [[20, 33.0]], (("site", "y"),): [[20, 300.0]]}
    assert result.sample_size == 6 + 6  # 6 raw points, then 3 hosts x 2 averages
    assert result.retained == 3 * 2 + 2 * 1  # per group session: its bucket count


def test_nested_chains_flatten_and_single_step_chain_is_the_step() -> None:
    nested = {"type": "chain", "chain": [{"type": "chain", "chain": [SUM20, {"type": "delta"}]}]}
    resolved = parse_aggregation(nested).with_default_size(1000)
    assert resolved.to_json()["chain"][1] == {"type": "delta"}
    single = parse_aggregation({"type": "chain", "chain": [SUM20]}).with_default_size(5)
    assert single.to_json()["type"] == "sum"


def test_group_each_legacy_list_is_a_chain() -> None:
    agg = {"type": "group", "of": [], "each": [{"type": "spread", "size": 20}, SUM20]}
    assert by_key(apply(agg, ROWS)) == {(): [[20, 333.0]]}


def test_opts_sets_the_default_size_of_children() -> None:
    agg = {
        "type": "opts",
        "sampling": {"unit": "MILLISECONDS", "value": 10},
        "aggregation": {"type": "group", "of": [], "each": {"type": "sum"}},
    }
    parsed = parse_aggregation(agg)
    assert parsed.with_default_size(1000).cadence() == 10
    assert by_key(apply(agg, ROWS)) == {(): [[10, 111.0], [20, 222.0]]}


def test_explicit_size_wins_over_opts() -> None:
    agg = {"type": "opts", "sampling": {"value": 5}, "aggregation": SUM20}
    assert parse_aggregation(agg).with_default_size(1000).cadence() == 20


@pytest.mark.parametrize(
    ("agg", "default", "cadence"),
    [
        (None, 60_000, 0),
        ({"type": "sum"}, 60_000, 60_000),
        ({"type": "sum", "size": "5m"}, 60_000, 300_000),
        ({"type": "group", "of": ["a"], "each": {"type": "max"}}, 1000, 1000),
        ({"type": "delta"}, 1000, -1),
        ({"type": "chain", "chain": [{"type": "sum", "size": 7}, {"type": "delta"}]}, 1, 7),
        ({"type": "chain", "chain": [{"type": "delta"}, {"type": "notNegative"}]}, 1, -1),
        ({"type": "chain", "chain": [{"type": "sum", "size": 7}, {"type": "empty"}]}, 1, 0),
    ],
)
def test_cadence(agg: dict[str, Any] | None, default: int, cadence: int) -> None:
    aggregation = aggregation_or_empty(None if agg is None else parse_aggregation(agg))
    assert aggregation.with_default_size(default).cadence() == cadence


def test_unresolved_sampling_without_size_reports_no_cadence() -> None:
    assert parse_aggregation({"type": "sum"}).cadence() == -1


@pytest.mark.parametrize(
    ("agg", "estimate"),
    [
        ({"type": "sum", "size": 10}, 100),
        ({"type": "sum", "size": 30}, 33),  # rounded range [0, 990] / 30
        ({"type": "group", "of": [], "each": {"type": "sum", "size": 10}}, -1),
        ({"type": "chain", "chain": [{"type": "delta"}, {"type": "sum", "size": 100}]}, 10),
        ({"type": "empty"}, -1),
    ],
)
def test_estimate(agg: dict[str, Any], estimate: int) -> None:
    assert parse_aggregation(agg).estimate(DateRange(5, 1000)) == estimate


def test_check_buckets_counts_buckets_created_up_front() -> None:
    chain = {"type": "chain", "chain": [{"type": "sum", "size": 10}, {"type": "max", "size": 20}]}
    assert check_buckets(parse_aggregation(chain), DateRange(0, 100)) == 10 + 5
    grouped = {"type": "group", "of": [], "each": {"type": "sum", "size": 10}}
    assert check_buckets(parse_aggregation(grouped), DateRange(0, 100)) == 0  # lazily created


def test_empty_helper() -> None:
    assert isinstance(aggregation_or_empty(None), Empty)
    assert Empty().to_json() == {"type": "empty"}
