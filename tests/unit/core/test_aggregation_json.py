"""JSON forms of aggregations and durations (reference 6.1): decoding, serialization and the
errors bad input produces (``JsonMappingError`` with the failing path)."""

from __future__ import annotations

from typing import Any

import pytest

from heroic_core.aggregations import AGGREGATION_TYPES, Duration, parse_aggregation, parse_duration
from heroic_core.errors import JsonMappingError


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ("10m", Duration(10, "MINUTES")),
        ("1H", Duration(1, "HOURS")),
        ("1h", Duration(1, "HOURS")),
        ("3600", Duration(3600, "MILLISECONDS")),
        ("250ms", Duration(250, "MILLISECONDS")),
        ("30s", Duration(30, "SECONDS")),
        ("2d", Duration(2, "DAYS")),
        ("2w", Duration(14, "DAYS")),
        (60000, Duration(60000, "MILLISECONDS")),
        (1.9, Duration(1, "MILLISECONDS")),
        ({"duration": 1, "unit": "MINUTES"}, Duration(1, "MINUTES")),
        ({"duration": 5}, Duration(5, "MILLISECONDS")),
        ({"unit": "minutes", "value": 1}, Duration(1, "MINUTES")),
    ],
)
def test_duration_forms(obj: object, expected: Duration) -> None:
    assert parse_duration(obj) == expected


@pytest.mark.parametrize(
    ("duration", "ms"),
    [
        (Duration(1, "DAYS"), 86_400_000),
        (Duration(3, "HOURS"), 10_800_000),
        (Duration(1500, "MICROSECONDS"), 1),
        (Duration(2_999_999, "NANOSECONDS"), 2),
    ],
)
def test_duration_to_ms_truncates_like_timeunit(duration: Duration, ms: int) -> None:
    assert duration.to_ms() == ms


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ("10x", "Invalid unit (x) in duration: 10x"),
        ("-5m", "Invalid duration: -5m"),
        ("m", "Invalid duration: m"),
        (True, "Cannot deserialize Duration"),
        ([1], "Cannot deserialize Duration"),
        ({"unit": "MINUTES"}, "duration is not a numeric field"),
        ({"duration": 1, "unit": "WEEKS"}, "No such time unit: WEEKS"),
    ],
)
def test_bad_durations(obj: object, message: str) -> None:
    with pytest.raises(JsonMappingError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_duration(obj, "x")


def test_sampling_aggregation_forms_resolve_to_the_same_sizes() -> None:
    forms: list[dict[str, Any]] = [
        {"type": "sum", "size": "1m"},
        {"type": "sum", "size": 60000},
        {"type": "sum", "size": {"duration": 1, "unit": "MINUTES"}},
        {"type": "sum", "sampling": {"value": "1m"}},
        {"type": "sum", "sampling": {"unit": "MINUTES", "value": 1}},
        {"type": "sum", "sampling": {"value": "5m"}, "size": "1m", "extent": "1m"},
    ]
    for form in forms:
        resolved = parse_aggregation(form).with_default_size(5)
        assert resolved.size.to_ms() == 60_000, form  # type: ignore[attr-defined]
        assert resolved.extent.to_ms() == 60_000, form  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("sampling", "default", "size", "extent"),
    [
        ({"value": "2m"}, 1, 120_000, 120_000),  # no unit: extent defaults to value
        ({"value": "2m", "extent": "5m"}, 1, 120_000, 300_000),
        ({"unit": "SECONDS", "value": 10}, 1, 10_000, 10_000),  # unit, no extent: extent = size
        ({"unit": "SECONDS", "value": "10m", "extent": 30}, 1, 10_000, 30_000),  # relabels
        ({"extent": "5m"}, 1000, 1000, 300_000),
        # Grafana's $__interval below a second: the milliseconds it means (upstream: an error).
        ({"unit": "seconds", "value": 0.5}, 1, 500, 500),
        ({"unit": "seconds", "value": 0.25, "extent": 1.5}, 1, 250, 1500),
        ({"unit": "MINUTES", "value": 1.5}, 1, 90_000, 90_000),
        ({"unit": "MICROSECONDS", "value": 2500.5}, 1, 3, 3),
        ({"unit": "seconds", "value": 2.0}, 1, 2000, 2000),
    ],
)
def test_sampling_query_semantics(
    sampling: dict[str, Any], default: int, size: int, extent: int
) -> None:
    resolved = parse_aggregation({"type": "max", "sampling": sampling}).with_default_size(default)
    assert resolved.size.to_ms() == size  # type: ignore[attr-defined]
    assert resolved.extent.to_ms() == extent  # type: ignore[attr-defined]


def test_opts_extent_applies_when_child_has_none() -> None:
    agg = {"type": "opts", "sampling": {"extent": "5m"}, "aggregation": {"type": "sum"}}
    resolved = parse_aggregation(agg).with_default_size(60_000)
    assert resolved.to_json() == {
        "type": "sum",
        "size": {"duration": 60_000, "unit": "MILLISECONDS"},
        "extent": {"duration": 5, "unit": "MINUTES"},
    }


ROUND_TRIPS: list[dict[str, Any]] = [
    {"type": "empty"},
    {"type": "sum", "size": {"duration": 1, "unit": "MINUTES"}},
    {"type": "average"},
    {"type": "quantile", "size": {"duration": 1, "unit": "MILLISECONDS"}, "q": 3.0, "error": 4.0},
    {"type": "cardinality", "method": {"type": "hllp", "precision": 16, "includeKey": False}},
    {"type": "cardinality", "method": {"type": "exact", "includeKey": True}},
    {"type": "cardinality", "method": {"type": "hll", "precision": 0.05, "includeKey": False}},
    {"type": "group", "of": ["host"], "each": {"type": "average"}},
    {"type": "group", "of": []},
    {"type": "collapse", "of": ["host"], "each": {"type": "max"}},
    {"type": "chain", "chain": [{"type": "delta"}, {"type": "notNegative"}]},
    {"type": "opts", "sampling": {"size": {"duration": 5, "unit": "MINUTES"}}},
    {"type": "topk", "k": 1},
    {"type": "bottomk", "k": 3},
    {"type": "abovek", "k": 1.5},
    {"type": "belowk", "k": -2.0},
    {"type": "pointsabove", "threshold": 2.0},
    {"type": "pointsbelow", "threshold": 0.5},
    {"type": "deltaPerSecond"},
    {"type": "group-unique"},
    {"type": "ratePerSecond", "size": {"duration": 30, "unit": "SECONDS"}},
    {"type": "tdigest"},
    {"type": "tpl"},
    {"type": "spread"},
    {"type": "stddev"},
    {"type": "sum2"},
    {"type": "min"},
    {"type": "max", "extent": {"duration": 2, "unit": "HOURS"}},
    {"type": "count"},
    {"type": "delta"},
    {"type": "notNegative"},
]


@pytest.mark.parametrize("obj", ROUND_TRIPS, ids=lambda o: o["type"])
def test_json_round_trip(obj: dict[str, Any]) -> None:
    assert parse_aggregation(obj).to_json() == obj
    assert parse_aggregation(parse_aggregation(obj).to_json()) == parse_aggregation(obj)


def test_every_registered_type_is_covered_by_round_trips() -> None:
    assert {o["type"] for o in ROUND_TRIPS} == AGGREGATION_TYPES


def test_cardinality_defaults_to_hllp() -> None:
    assert parse_aggregation({"type": "cardinality"}).to_json()["method"] == {
        "type": "hllp",
        "precision": 16,
        "includeKey": False,
    }


def test_null_fields_are_absent() -> None:
    agg = parse_aggregation({"type": "group", "of": None, "each": None})
    assert agg.to_json() == {"type": "group"}


def test_filter_of_may_be_empty() -> None:
    assert parse_aggregation({"type": "topk", "k": 2, "of": {"type": "empty"}}).to_json() == {
        "type": "topk",
        "k": 2,
    }


@pytest.mark.parametrize(
    ("obj", "path", "message"),
    [
        ("sum", "aggregation", 'aggregation must be an object with a "type"'),
        ({}, "aggregation", "missing type id property 'type'"),
        ({"type": 3}, "aggregation.type", "aggregation type must be a string"),
        ({"type": "median"}, "aggregation.type", "Could not resolve type id 'median'"),
        ({"type": "sum", "sise": 1}, "aggregation.sise", 'Unrecognized field "sise"'),
        ({"type": "sum", "size": "1x"}, "aggregation.size", r"Invalid unit \(x\)"),
        ({"type": "sum", "size": 0}, "aggregation.size", "at least one millisecond"),
        ({"type": "sum", "extent": -5}, "aggregation.extent", "at least one millisecond"),
        (
            {"type": "sum", "sampling": {"unit": "MICROSECONDS", "value": 10}},
            "aggregation.sampling.value",
            "at least one millisecond",
        ),
        (
            {"type": "sum", "sampling": {"unit": "seconds", "value": 0.0004}},
            "aggregation.sampling.value",
            "at least one millisecond",
        ),
        (
            {"type": "sum", "sampling": {"value": 0.5}},  # no unit: milliseconds, truncated
            "aggregation.sampling.value",
            "at least one millisecond",
        ),
        ({"type": "sum", "sampling": 5}, "aggregation.sampling", "sampling must be an object"),
        (
            {"type": "sum", "sampling": {"unit": "WEEKS", "value": 1}},
            "aggregation.sampling.unit",
            "No such time unit: WEEKS",
        ),
        (
            {"type": "sum", "sampling": {"valeu": 1}},
            "aggregation.sampling.valeu",
            'Unrecognized field "valeu"',
        ),
        ({"type": "group", "of": "host"}, "aggregation.of", "of must be a list of tag names"),
        ({"type": "group", "of": ["a", 1]}, "aggregation.of[1]", "tag name must be a string"),
        (
            {"type": "group", "each": {"type": "nope"}},
            "aggregation.each.type",
            "Could not resolve type id 'nope'",
        ),
        (
            {"type": "group", "each": [{"type": "sum"}, {"type": "x"}]},
            "aggregation.each[1].type",
            "Could not resolve type id 'x'",
        ),
        (
            {"type": "collapse", "each": [{"type": "sum"}]},
            "aggregation.each",
            'aggregation must be an object with a "type"',
        ),
        ({"type": "chain"}, "aggregation.chain", "chain must be a non-empty list"),
        ({"type": "chain", "chain": []}, "aggregation.chain", "chain must be a non-empty list"),
        (
            {"type": "chain", "chain": [{"type": "sum"}, {"type": "sum", "q": 1}]},
            "aggregation.chain[1].q",
            'Unrecognized field "q"',
        ),
        ({"type": "topk"}, "aggregation.k", "missing required field k"),
        ({"type": "topk", "k": "3"}, "aggregation.k", "k must be a number"),
        ({"type": "topk", "k": -1}, "aggregation.k", "k must not be negative"),
        (
            {"type": "topk", "k": 1, "of": {"type": "sum"}},
            "aggregation.of",
            "filtering aggregations should not take a child aggregation",
        ),
        ({"type": "abovek", "k": True}, "aggregation.k", "k must be a number"),
        ({"type": "pointsabove"}, "aggregation.threshold", "missing required field threshold"),
        ({"type": "quantile", "q": "high"}, "aggregation.q", "q must be a number"),
        (
            {"type": "cardinality", "method": {"type": "approx"}},
            "aggregation.method.type",
            "unknown cardinality method",
        ),
        (
            {"type": "cardinality", "method": {"type": "exact", "precision": 2}},
            "aggregation.method.precision",
            'Unrecognized field "precision"',
        ),
        (
            {"type": "cardinality", "method": {"type": "exact", "includeKey": "yes"}},
            "aggregation.method.includeKey",
            "includeKey must be a boolean",
        ),
        (
            {"type": "opts", "aggregation": {"type": "sum", "size": "soon"}},
            "aggregation.aggregation.size",
            "Invalid duration: soon",
        ),
        ({"type": "delta", "size": 1}, "aggregation.size", 'Unrecognized field "size"'),
    ],
)
def test_bad_aggregation_json(obj: object, path: str, message: str) -> None:
    with pytest.raises(JsonMappingError, match=message) as info:
        parse_aggregation(obj, "aggregation")
    assert info.value.path == path


def test_path_defaults_to_the_object_itself() -> None:
    with pytest.raises(JsonMappingError) as info:
        parse_aggregation({"type": "sum", "bogus": 1})
    assert info.value.path == "bogus"
