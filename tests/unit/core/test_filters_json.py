"""Filter JSON decoding: array and object forms, the q operator, errors with paths (4.1)."""

from __future__ import annotations

from typing import Any

import pytest

from heroic_core.errors import JsonMappingError
from heroic_core.filters import (
    FALSE,
    TRUE,
    And,
    Filter,
    HasTag,
    MatchKey,
    MatchTag,
    Not,
    Or,
    Regex,
    StartsWith,
)
from heroic_core.hql import parse_filter_json

# Canonical (already optimized) array forms: decoding then encoding gives them back.
ROUND_TRIP = [
    ["=", "a", "b"],
    ["^", "a", "b"],
    ["+", "a"],
    ["key", "a"],
    ["~", "a", "b"],
    ["not", ["=", "a", "b"]],
    ["and", ["=", "a", "b"], ["=", "c", "d"]],
    ["or", ["=", "a", "b"], ["=", "c", "d"]],
    ["true"],
    ["false"],
]


@pytest.mark.parametrize("array", ROUND_TRIP, ids=lambda a: str(a[0]))
def test_array_form_round_trips(array: list[Any]) -> None:
    assert parse_filter_json(array).to_json() == array


@pytest.mark.parametrize(
    ("array", "expected"),
    [
        (["=", "a", "b"], MatchTag("a", "b")),
        (["^", "a", "b"], StartsWith("a", "b")),
        (["+", "a"], HasTag("a")),
        (["key", "a"], MatchKey("a")),
        (["~", "a", "b"], Regex("a", "b")),
        (["not", ["+", "a"]], Not(HasTag("a"))),
        (["true"], TRUE),
        (["false"], FALSE),
    ],
)
def test_array_form_decodes_to_terms(array: list[Any], expected: Filter) -> None:
    assert parse_filter_json(array) == expected


OBJECT_FORMS = [
    ({"type": "matchTag", "tag": "a", "value": "b"}, ["=", "a", "b"]),
    ({"type": "startsWith", "tag": "a", "value": "b"}, ["^", "a", "b"]),
    ({"type": "hasTag", "tag": "a"}, ["+", "a"]),
    ({"type": "key", "key": "a"}, ["key", "a"]),
    ({"type": "regex", "tag": "a", "value": "b"}, ["~", "a", "b"]),
    (
        {"type": "not", "filter": {"type": "matchTag", "tag": "a", "value": "b"}},
        ["not", ["=", "a", "b"]],
    ),
    (
        {
            "type": "and",
            "filters": [
                {"type": "matchTag", "tag": "a", "value": "b"},
                {"type": "matchTag", "tag": "c", "value": "d"},
            ],
        },
        ["and", ["=", "a", "b"], ["=", "c", "d"]],
    ),
    (
        {"type": "or", "filters": [["=", "c", "d"], {"type": "hasTag", "tag": "a"}]},
        ["or", ["+", "a"], ["=", "c", "d"]],
    ),
    ({"type": "true"}, ["true"]),
    ({"type": "false"}, ["false"]),
    ({"type": "raw", "filter": "a = b and +c"}, ["and", ["+", "c"], ["=", "a", "b"]]),
]


@pytest.mark.parametrize(("obj", "expected"), OBJECT_FORMS, ids=lambda v: str(v)[:30])
def test_object_form_decodes_and_serializes_as_array(obj: dict[str, Any], expected: Any) -> None:
    assert parse_filter_json(obj).to_json() == expected


def test_q_operator_parses_hql_and_optimizes() -> None:
    result = parse_filter_json(["and", ["q", "a = b or a = c"], ["+", "d"]])
    assert result.to_json() == ["and", ["+", "d"], ["or", ["=", "a", "b"], ["=", "a", "c"]]]


def test_decoded_array_filter_is_optimized() -> None:
    assert parse_filter_json(["and", ["+", "b"], ["+", "a"], ["+", "b"]]) == And(
        (HasTag("a"), HasTag("b"))
    )


def test_decoded_or_of_single_term_is_the_term() -> None:
    assert parse_filter_json(["or", ["+", "a"]]) == HasTag("a")


def test_decoded_nested_or_is_flattened() -> None:
    assert parse_filter_json(["or", ["+", "a"], ["or", ["+", "b"], ["+", "c"]]]) == Or(
        (HasTag("a"), HasTag("b"), HasTag("c"))
    )


ERRORS = [
    # (input, base path, message, path)
    ([], "filter", "Expected operator (string)", "filter"),
    ([1, "a"], "filter", "Expected operator (string)", "filter"),
    (["$key", "a"], "filter", "No such operator: $key", "filter"),
    (["nope"], "", "No such operator: nope", ""),
    ("a = b", "filter", "Expected start of array or object", "filter"),
    (None, "filter", "Expected start of array or object", "filter"),
    (["=", "a"], "filter", "Expected second argument", "filter.{=}"),
    (["="], "filter", "Expected first argument", "filter.{=}"),
    (["+"], "filter", "Expected one argument", "filter.{+}"),
    (["key"], "filter", "Expected one argument", "filter.{key}"),
    (["not"], "filter", "Expected one argument", "filter.{not}"),
    (["=", "a", 1], "filter", "Expected string", "filter.{=}"),
    (["=", "a", "b", "c"], "filter", "Expected end of array from '='", "filter.{=}"),
    (["true", "x"], "filter", "Expected end of array from 'true'", "filter.{true}"),
    (["and", "x"], "filter", "Expected start of new filter expression", "filter.{and}"),
    (["and", ["=", "a"]], "filter", "Expected second argument", "filter.{and}[0].{=}"),
    (
        ["or", ["+", "a"], ["and", ["+", "b"], ["x"]]],
        "queries.q1.filter",
        "No such operator: x",
        "queries.q1.filter.{or}[1].{and}[1]",
    ),
    (["not", [2]], "", "Expected operator (string)", "{not}[0]"),
    ({"tag": "a"}, "filter", "Expected 'type' field", "filter"),
    ({"type": 1}, "filter", "Expected 'type' to be string", "filter"),
    ({"type": "nope"}, "filter", "No such type: nope", "filter"),
    ({"type": "matchTag", "tag": "a"}, "filter", "Missing field: value", "filter.value"),
    (
        {"type": "and", "filters": [{"type": "hasTag"}]},
        "filter",
        "Missing field: tag",
        "filter.filters[0].tag",
    ),
]


@pytest.mark.parametrize(("obj", "base", "message", "path"), ERRORS, ids=lambda v: str(v)[:30])
def test_bad_filter_json_reports_upstream_message_and_path(
    obj: object, base: str, message: str, path: str
) -> None:
    with pytest.raises(JsonMappingError) as info:
        parse_filter_json(obj, base)
    assert (info.value.message, info.value.path) == (message, path)


def test_invalid_regex_is_a_json_error_naming_the_pattern() -> None:
    with pytest.raises(JsonMappingError) as info:
        parse_filter_json(["~", "host", "db[0-9"], "filter")
    assert info.value.path == "filter.{~}"
    assert "db[0-9" in info.value.message


def test_hql_error_inside_q_is_a_json_error_with_the_parse_position() -> None:
    with pytest.raises(JsonMappingError) as info:
        parse_filter_json(["q", "a = = b"], "filter")
    assert info.value.path == "filter.{q}"
    assert info.value.message == "1:4: unexpected token: ="


def test_too_deeply_nested_json_filter_is_a_json_error() -> None:
    nested: list[Any] = ["+", "a"]
    for _ in range(5000):
        nested = ["not", nested]
    with pytest.raises(JsonMappingError) as info:
        parse_filter_json(nested, "filter")
    message = "filter is nested too deeply (at most 100 levels)"
    assert (info.value.message, info.value.path) == (message, "filter")
