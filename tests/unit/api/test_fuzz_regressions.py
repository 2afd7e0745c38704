"""Inputs the fuzz tests found answering 500, pinned with the 4xx body they must get now."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.core.fuzz_strategies import NOW

from .fuzz_client import JSON, TEXT, check, fuzz_client

LONG_MAX = 2**63 - 1
RANGE_1H = {"type": "relative", "unit": "HOURS", "value": 1}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    yield from fuzz_client()


def _error(response: Any, status: int = 400) -> dict[str, Any]:
    body = check(response)
    assert response.status_code == status, response.text
    assert isinstance(body, dict)
    return body


def test_integer_longer_than_python_converts_is_a_json_parse_error(client: TestClient) -> None:
    body = b'{"range": {"type": "absolute", "start": 0, "end": ' + b"1" * 5000 + b"}}"
    error = _error(client.post("/query/metrics", content=body, headers=JSON))
    assert error["type"] == "json-parse-error"
    assert error["message"] == "Number is too long"
    assert (error["line"], error["col"]) == (1, 51)


@pytest.mark.parametrize("token", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_number_token_is_a_json_parse_error_at_the_token(
    client: TestClient, token: bytes
) -> None:
    body = b'{"series": {"key": "NaN"},\n "data": {"type": "points", "data": [[1, ' + token
    body += b"]]}}"
    error = _error(client.post("/write", content=body, headers=JSON))
    assert error["type"] == "json-parse-error"
    assert error["message"] == f"Non-standard token '{token.decode()}': not a JSON number"
    assert (error["line"], error["col"]) == (2, 42)


@pytest.mark.parametrize("opening", [b"[", b'{"a":'])
def test_json_nested_deeper_than_the_decoder_can_go_is_a_json_parse_error(
    client: TestClient, opening: bytes
) -> None:
    error = _error(client.post("/query/metrics", content=opening * 100_000, headers=JSON))
    assert error["type"] == "json-parse-error"
    assert error["message"] == "JSON document is nested too deeply"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b'{"series": {"key": "k\\ud800"}, "data": null}', "series.key"),
        (b'{"series": {"key": "k", "tags": {"\\uDC00": "v"}}}', "series.tags"),
        (b'{"series": {"key": "k", "tags": {"a": ["x", "\\udbff"]}}}', "series.tags.a[1]"),
    ],
)
def test_lone_surrogate_escape_is_a_json_error_naming_the_string(
    client: TestClient, body: bytes, path: str
) -> None:
    error = _error(client.post("/write", content=body, headers=JSON))
    assert error["type"] == "json-error"
    assert error["path"] == path
    assert "lone UTF-16 surrogate" in error["message"]


def test_surrogate_pair_escape_is_accepted(client: TestClient) -> None:
    body = b'{"key": "pair\\ud83d\\ude00", "tags": {"\\u00e9": "v"}}'
    assert client.put("/metadata/series", content=body, headers=JSON).status_code == 200


@pytest.mark.parametrize("timestamp", [b"1e30", b"9223372036854775808"])
def test_write_timestamp_outside_java_long_is_a_json_error(
    client: TestClient, timestamp: bytes
) -> None:
    body = b'{"series": {"key": "k"}, "data": {"type": "points", "data": [[' + timestamp
    body += b", 1.0]]}}"
    error = _error(client.post("/write", content=body, headers=JSON))
    assert error["type"] == "json-error"
    assert error["path"] == "data.data[0]"
    assert error["message"].startswith("timestamp must be at most 9223372036854775807, got ")


def test_write_timestamp_at_java_long_max_is_accepted(client: TestClient) -> None:
    body = {"series": {"key": "edge"}, "data": {"type": "points", "data": [[LONG_MAX, 1.0]]}}
    assert client.post("/write", json=body).status_code == 200


@pytest.mark.parametrize("end", [LONG_MAX, 10**30, 253_402_300_800_000])
@pytest.mark.parametrize("features", [[], ["-shift_range"]])
def test_range_ending_after_year_9999_is_a_json_error(
    client: TestClient, end: int, features: list[str]
) -> None:
    body = {
        "range": {"type": "absolute", "start": 0, "end": end},
        "aggregation": {"type": "sum"},
        "features": features,
    }
    error = _error(client.post("/query/metrics", json=body, headers=JSON))
    assert error["type"] == "json-error"
    assert error["path"] == "range"
    assert error["message"] == f"range end must be at most 253402300799999 (year 9999), got {end}"


def test_range_ending_in_year_9999_is_queryable(client: TestClient) -> None:
    body = {
        "range": {"type": "absolute", "start": NOW, "end": 253_402_300_799_999},
        "features": ["-shift_range"],
        "aggregation": {"type": "count", "size": "3650d"},
    }
    response = client.post("/query/metrics", json=body, headers=JSON)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{9999-12-31} + {9999-12-31}", "1:0: {18029-12-29T00:00:00Z} is not an aggregation"),
        ("{23:59} + {9999-12-31}", "1:0: {10053-11-12T23:59:00Z} is not an aggregation"),
    ],
)
def test_hql_instant_after_year_9999_in_an_error_message_is_a_parse_error(
    client: TestClient, text: str, message: str
) -> None:
    error = _error(client.post("/parser/parse-query", content=text, headers=TEXT))
    assert error["type"] == "parse-error"
    assert error["message"] == message


def _alternating_filter_hql(depth: int) -> str:
    text = "a = b"
    for level in range(depth):
        text = f"({text}) {'and' if level % 2 else 'or'} +t{level}"
    return text


@pytest.mark.parametrize("depth", [150, 300])
def test_parse_filter_deeper_than_max_depth_is_a_parse_error(
    client: TestClient, depth: int
) -> None:
    text = _alternating_filter_hql(depth)
    error = _error(client.post("/parser/parse-filter", content=text, headers=TEXT))
    assert error["type"] == "parse-error"
    assert error["message"] == "1:0: filter is nested too deeply (at most 100 levels)"


@pytest.mark.parametrize(
    ("wrap", "depth"),
    [
        (lambda inner: {"type": "group", "of": ["host"], "each": inner}, 900),
        (lambda inner: {"type": "opts", "aggregation": inner}, 101),
        (lambda inner: {"type": "chain", "chain": [inner, {"type": "sum"}]}, 51),
    ],
)
def test_aggregation_nested_deeper_than_100_json_levels_is_a_json_error(
    client: TestClient, wrap: Any, depth: int
) -> None:
    aggregation: Any = {"type": "sum"}
    for _ in range(depth):
        aggregation = wrap(aggregation)
    body = {"range": {"type": "relative", "unit": "HOURS", "value": 1}, "aggregation": aggregation}
    error = _error(client.post("/query/metrics", json=body, headers=JSON))
    assert error["type"] == "json-error"
    assert error["path"] == "aggregation"
    assert error["message"] == "aggregation is nested too deeply (at most 100 JSON levels)"


@pytest.mark.parametrize("depth", [300, 600])
def test_parse_query_with_a_deep_aggregation_is_a_parse_error(
    client: TestClient, depth: int
) -> None:
    text = "opts(" * depth + "sum" + ")" * depth
    error = _error(client.post("/parser/parse-query", content=text, headers=TEXT))
    assert error["type"] == "parse-error"
    assert "nested too deeply" in error["message"]


def test_aggregation_100_json_levels_deep_is_evaluated(client: TestClient) -> None:
    aggregation: Any = {"type": "sum", "size": "1m"}
    for _ in range(99):
        aggregation = {"type": "opts", "aggregation": aggregation}
    body = {"range": {"type": "relative", "unit": "HOURS", "value": 1}, "aggregation": aggregation}
    response = client.post("/query/metrics", json=body, headers=JSON)
    assert response.status_code == 200, response.text
    assert response.json()["result"]


@pytest.mark.parametrize("path", ["/query/metrics", "/parser/parse-query", "/parser/parse-filter"])
def test_hql_longer_than_256_kib_is_a_parse_error_not_a_stall(
    client: TestClient, path: str
) -> None:
    text = "* from points(1h) where " + "a = b and " * 30_000 + "c = d"
    error = _error(client.post(path, content=text, headers=TEXT))
    assert error["type"] == "parse-error"
    assert error["message"] == f"1:0: query is too long ({len(text)} characters, at most 262144)"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/metadata/series", {"limit": 2**31 - 1}, "limit"),
        ("/metadata/series-count", {"limit": 2**70}, "limit"),
        ("/metadata/tag-values-suggest", {"groupLimit": 2**31}, "groupLimit"),
        ("/query/metrics", {"options": {"seriesLimit": 2**31}}, "options.seriesLimit"),
        ("/query/metrics", {"options": {"dataLimit": 2**63}}, "options.dataLimit"),
    ],
)
def test_limit_whose_successor_is_not_a_java_int_is_a_json_error(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    error = _error(client.post(path, json={"range": RANGE_1H, **body}, headers=JSON))
    assert error["type"] == "json-error"
    assert error["path"] == field
    assert error["message"] == "Input should be less than or equal to 2147483646"


@pytest.mark.parametrize("tracing", ["x", 5, [True]])
def test_bad_tracing_names_the_field_and_both_accepted_forms(
    client: TestClient, tracing: Any
) -> None:
    body = {"range": RANGE_1H, "options": {"tracing": tracing}}
    error = _error(client.post("/query/metrics", json=body, headers=JSON))
    assert error["path"] == "options.tracing"
    assert error["message"].startswith("Input should be a valid boolean")
    assert error["message"].endswith(" or Input should be 'NONE', 'DEFAULT' or 'DETAILED'")


@pytest.mark.parametrize("group", ["nope", "", "\x00"])
def test_write_to_an_unknown_group_is_a_400_not_a_silent_drop(
    client: TestClient, group: str
) -> None:
    body = {"series": {"key": "lost"}, "data": {"type": "points", "data": [[1, 1.0]]}}
    response = client.post("/write", params={"group": group}, json=body)
    error = _error(response)
    assert error["type"] == "error"
    assert error["message"] == f"no metric backend belongs to group {group!r}"


def test_write_to_a_known_group_writes_every_backend(client: TestClient) -> None:
    body = {"series": {"key": "kept"}, "data": {"type": "points", "data": [[1, 1.0]]}}
    response = client.post("/write", params={"group": "memory"}, json=body)
    assert response.status_code == 200, response.text
    assert len(response.json()["times"]) == 3
