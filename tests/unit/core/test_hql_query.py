"""HQL queries: clauses, sources, ranges, aggregation expressions and their errors (5.2-5.4)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from heroic_core.errors import QueryParseError
from heroic_core.filters import MatchTag
from heroic_core.hql import ParsedQuery, parse_aggregation, parse_query
from heroic_core.model import MetricType
from heroic_core.ranges import AbsoluteRange

NOW = 1_600_000_000_000
HOUR = 3_600_000


def minutes(n: int) -> dict[str, Any]:
    return {"duration": n, "unit": "MINUTES"}


def points(start: int, end: int) -> dict[str, Any]:
    return {"source": "points", "range": {"type": "absolute", "start": start, "end": end}}


def test_full_query_to_json() -> None:
    parsed = parse_query("sum(10m) from points(1h) where host = foo", now_ms=NOW)
    assert parsed.to_json() == {
        "aggregation": {"type": "sum", "size": minutes(10)},
        "source": "points",
        "range": {"type": "absolute", "start": NOW - HOUR, "end": NOW},
        "filter": ["=", "host", "foo"],
    }
    assert list(parsed.to_json()) == ["aggregation", "source", "range", "filter"]


def test_parsed_query_fields() -> None:
    parsed = parse_query("* from spreads(0, 1000) where a = b", now_ms=NOW)
    assert parsed == ParsedQuery(
        filter=MatchTag("a", "b"),
        aggregation=None,
        source=MetricType.SPREADS,
        range=AbsoluteRange(0, 1000),
        options=None,
        features=None,
    )


QUERIES = [
    ("*", {}),
    ("*;", {}),
    ("* from points", {"source": "points"}),
    ("* from distributionPoints", {"source": "distributionPoints"}),
    ("* from points(0, 400 + 600)", points(0, 1000)),
    ("* from points(1000ms)", points(NOW - 1000, NOW)),
    ("* from points(1H - 5m)", points(NOW - 55 * 60_000, NOW)),
    ("* from points($now - 2h, $now - 1h)", points(NOW - 2 * HOUR, NOW - HOUR)),
    ("* from points({2014-01-01}, {2014-01-02})", points(1_388_534_400_000, 1_388_620_800_000)),
    ("* from points(0)", {"source": "points"}),  # empty range is dropped
    ("* from points(-1h)", {"source": "points"}),  # start after end: dropped
    ("* from points(5, 5)", {"source": "points"}),
    ("* where a = b", {"filter": ["=", "a", "b"]}),
    (
        "* where a=x and b=y or c=z",
        {"filter": ["and", ["=", "a", "x"], ["or", ["=", "b", "y"], ["=", "c", "z"]]]},
    ),
    ("average", {"aggregation": {"type": "average"}}),
    ("sum with size = 5m", {"aggregation": {"type": "sum"}}),  # `with` is parsed and ignored
    ("sum as a = 1, b = c", {"aggregation": {"type": "sum"}}),
    (
        "sum from points where a = b with x = 1 as y = 2",
        {"aggregation": {"type": "sum"}, "source": "points", "filter": ["=", "a", "b"]},
    ),
    (
        "# comment\nsum\n  from points # more\n",
        {"aggregation": {"type": "sum"}, "source": "points"},
    ),
]


@pytest.mark.parametrize(("text", "expected"), QUERIES, ids=[q for q, _ in QUERIES])
def test_query_to_json(text: str, expected: dict[str, Any]) -> None:
    assert parse_query(text, now_ms=NOW).to_json() == expected


def test_default_now_is_the_current_time() -> None:
    before = int(time.time() * 1000)
    parsed = parse_query("* from points(1h)")
    after = int(time.time() * 1000)
    assert parsed.range is not None
    assert before <= parsed.range.end <= after
    assert parsed.range.end - parsed.range.start == HOUR


AGGREGATIONS = [
    (
        "average by host | sum by site",
        {
            "type": "chain",
            "chain": [
                {"type": "group", "of": ["host"], "each": {"type": "average"}},
                {"type": "group", "of": ["site"], "each": {"type": "sum"}},
            ],
        },
    ),
    ("average by *", {"type": "group", "each": {"type": "average"}}),
    (
        "average by [host, site]",
        {"type": "group", "of": ["host", "site"], "each": {"type": "average"}},
    ),
    (
        "(average by host | sum) by site",
        {
            "type": "group",
            "of": ["site"],
            "each": {
                "type": "chain",
                "chain": [
                    {"type": "group", "of": ["host"], "each": {"type": "average"}},
                    {"type": "sum"},
                ],
            },
        },
    ),
    (
        "average(30H) by host | sum(30H)",
        {
            "type": "chain",
            "chain": [
                {
                    "type": "group",
                    "of": ["host"],
                    "each": {"type": "average", "size": {"duration": 30, "unit": "HOURS"}},
                },
                {"type": "sum", "size": {"duration": 30, "unit": "HOURS"}},
            ],
        },
    ),
    (
        "chain(group([host], average(30H)), sum(30H))",
        {
            "type": "chain",
            "chain": [
                {
                    "type": "group",
                    "of": ["host"],
                    "each": {"type": "average", "size": {"duration": 30, "unit": "HOURS"}},
                },
                {"type": "sum", "size": {"duration": 30, "unit": "HOURS"}},
            ],
        },
    ),
    (
        "(sum | max) | min",
        {"type": "chain", "chain": [{"type": "sum"}, {"type": "max"}, {"type": "min"}]},
    ),
    (
        "sum by host by site",
        {
            "type": "group",
            "of": ["site"],
            "each": {"type": "group", "of": ["host"], "each": {"type": "sum"}},
        },
    ),
    ("sum(10m)", {"type": "sum", "size": minutes(10)}),
    ("sum(1000)", {"type": "sum", "size": {"duration": 1000, "unit": "MILLISECONDS"}}),
    ("sum(1m + 30s)", {"type": "sum", "size": {"duration": 90, "unit": "SECONDS"}}),
    ("count(1m, 2m)", {"type": "count", "size": minutes(1), "extent": minutes(2)}),
    ("average(size=1m, extent=5m)", {"type": "average", "size": minutes(1), "extent": minutes(5)}),
    ("max(extent=5m)", {"type": "max", "extent": minutes(5)}),
    ("min", {"type": "min"}),
    ("sum2", {"type": "sum2"}),
    ("stddev(1h)", {"type": "stddev", "size": {"duration": 1, "unit": "HOURS"}}),
    ("spread(1d)", {"type": "spread", "size": {"duration": 1, "unit": "DAYS"}}),
    ("ratePerSecond(30s)", {"type": "ratePerSecond", "size": {"duration": 30, "unit": "SECONDS"}}),
    ("group-unique", {"type": "group-unique"}),
    ("tdigest(1m)", {"type": "tdigest", "size": minutes(1)}),
    ("tpl", {"type": "tpl"}),
    ("quantile(1m, q=0.99)", {"type": "quantile", "size": minutes(1), "q": 0.99}),
    (
        "quantile(size=1m, q=0.5, error=0.1)",
        {"type": "quantile", "size": minutes(1), "q": 0.5, "error": 0.1},
    ),
    ("topk(3)", {"type": "topk", "k": 3}),
    ("bottomk(2)", {"type": "bottomk", "k": 2}),
    ("abovek(2.5)", {"type": "abovek", "k": 2.5}),
    ("belowk(1)", {"type": "belowk", "k": 1.0}),
    ("pointsabove(2)", {"type": "pointsabove", "threshold": 2.0}),
    ("pointsbelow(-1.5)", {"type": "pointsbelow", "threshold": -1.5}),
    ("delta", {"type": "delta"}),
    ("deltaPerSecond", {"type": "deltaPerSecond"}),
    ("notNegative", {"type": "notNegative"}),
    ("empty", {"type": "empty"}),
    (
        "group([host, site], sum(1m))",
        {"type": "group", "of": ["host", "site"], "each": {"type": "sum", "size": minutes(1)}},
    ),
    ("group(of=host, each=sum)", {"type": "group", "of": ["host"], "each": {"type": "sum"}}),
    ("collapse(host)", {"type": "collapse", "of": ["host"]}),
    ("collapse([], max)", {"type": "collapse", "of": [], "each": {"type": "max"}}),
    (
        "opts(sum, size=1m)",
        {"type": "opts", "sampling": {"value": minutes(1)}, "aggregation": {"type": "sum"}},
    ),
    (
        "opts(aggregation=sum, extent=2m)",
        {"type": "opts", "sampling": {"extent": minutes(2)}, "aggregation": {"type": "sum"}},
    ),
    (
        "cardinality(1m)",
        {
            "type": "cardinality",
            "size": minutes(1),
            "method": {"type": "hllp", "precision": 16, "includeKey": False},
        },
    ),
    (
        "cardinality(method=exact)",
        {"type": "cardinality", "method": {"type": "exact", "includeKey": False}},
    ),
    (
        'cardinality(method=hll(precision=0.1, includeKey="true"))',
        {"type": "cardinality", "method": {"type": "hll", "precision": 0.1, "includeKey": True}},
    ),
    (
        "cardinality(method=hllp(precision=14))",
        {"type": "cardinality", "method": {"type": "hllp", "precision": 14, "includeKey": False}},
    ),
]


@pytest.mark.parametrize(("text", "expected"), AGGREGATIONS, ids=[a for a, _ in AGGREGATIONS])
def test_aggregation_expression(text: str, expected: dict[str, Any]) -> None:
    assert parse_aggregation(text, now_ms=NOW) == expected
    assert parse_query(text, now_ms=NOW).aggregation == expected


AGGREGATION_ERRORS = [
    ("foo", "1:0: Missing aggregation foo"),
    ("sum(1m, 2m, 3m)", "1:0: sum: has trailing argument <3m>"),
    ("sum(1m, 2m, 3m, 4m)", "1:0: sum: has trailing arguments ['<3m>', '<4m>']"),
    ("sum(bar=1)", "1:0: sum: has trailing keyword bar"),
    ("delta(1m, x=1)", "1:0: delta: has trailing argument <1m> and keyword x"),
    ("topk", "1:0: topk: missing required argument 'k'"),
    ("sum(foo)", '1:4: sum: "foo" cannot be cast to duration'),
    ("chain(sum, foo)", "1:11: chain: Missing aggregation foo"),
    ("group(host, sum(x))", '1:16: group: sum: "x" cannot be cast to duration'),
    ("group(5, sum)", "1:6: group: 5 cannot be cast to list"),
    ("cardinality(method=nope)", "1:19: cardinality: Unknown cardinality method"),
    ("cardinality(method=5)", "1:19: cardinality: Unsupported method"),
    ("5 by host", "1:0: 5 cannot be cast to function"),
    ("5", "1:0: 5 is not an aggregation"),
    ("[sum]", '1:0: ["sum"] is not an aggregation'),
]


@pytest.mark.parametrize(
    ("text", "message"), AGGREGATION_ERRORS, ids=[t for t, _ in AGGREGATION_ERRORS]
)
def test_aggregation_error(text: str, message: str) -> None:
    with pytest.raises(QueryParseError) as info:
        parse_query(text, now_ms=NOW)
    assert info.value.message == message


QUERY_ERRORS = [
    ("", "1:0: Expected exactly one expression"),
    ("sum; max", "1:0: Expected exactly one expression"),
    ("let $a = *", "1:0: expected a query, but got a let statement"),
    ("let a = *", '1:4: expected a reference, but got "a"'),
    (";", "1:0: unexpected token: ;"),
    ("~ from points", "1:0: unexpected token: ~"),
    ("from points(1h)", "1:0: unexpected token: from"),
    ("* where a = b from points", "1:14: unexpected token: from"),
    ("* from points(1h", "1:16: unexpected token: <EOF>"),
    ("* from points(1h, 2h, 3h)", "1:20: unexpected token: ,"),
    (
        "* from nope",
        "1:2: Invalid source (nope), must be one of points, spreads, groups, "
        "cardinality, distributionPoints, tdigestPoints",
    ),
    ("* from points(foo)", '1:14: "foo" cannot be cast to integer'),
    ("* from points($later)", "1:14: cannot find reference (later) in the current scope"),
    ("sum with x = $later", "1:13: cannot find reference (later) in the current scope"),
    ("sum\nfrom points(1h)\nwhere a = = b", "3:10: unexpected token: ="),
    ("sum with 5 = 1", "1:9: unexpected token: 5"),
]


@pytest.mark.parametrize(("text", "message"), QUERY_ERRORS, ids=[t for t, _ in QUERY_ERRORS])
def test_query_error(text: str, message: str) -> None:
    with pytest.raises(QueryParseError) as info:
        parse_query(text, now_ms=NOW)
    assert info.value.message == message
