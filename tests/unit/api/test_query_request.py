"""One path from request to engine: HQL yields the objects the JSON decoder yields, checked alike,
and "now" is read once per request so every part of a request sees the same instant."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from heroic_api.services.query_request import query_from_hql, query_from_json
from heroic_core.errors import JsonMappingError

from .helpers import CLIENT, NOW, write

HOUR = 3_600_000
LAST_HOUR = {"type": "absolute", "start": NOW - HOUR, "end": NOW}


def minutes(n: int) -> dict[str, Any]:
    return {"duration": n, "unit": "MINUTES"}


EQUIVALENT = [
    ("*", {}),
    ("* from points(1h)", {"range": LAST_HOUR}),
    (
        "average(5m) from points(1h) where host = a",
        {
            "range": LAST_HOUR,
            "filter": ["=", "host", "a"],
            "aggregation": {"type": "average", "size": minutes(5)},
        },
    ),
    (
        "sum(1m) by host from spreads(0, 1000) where !(a = b or c ^ d)",
        {
            "range": {"type": "absolute", "start": 0, "end": 1000},
            "source": "spreads",
            "filter": ["not", ["or", ["=", "a", "b"], ["^", "c", "d"]]],
            "aggregation": {
                "type": "group",
                "of": ["host"],
                "each": {"type": "sum", "size": minutes(1)},
            },
        },
    ),
    (
        "average(1m) | max(5m) from points(1h)",
        {
            "range": LAST_HOUR,
            "aggregation": {
                "type": "chain",
                "chain": [
                    {"type": "average", "size": minutes(1)},
                    {"type": "max", "size": minutes(5)},
                ],
            },
        },
    ),
]


@pytest.mark.parametrize(("hql", "json_query"), EQUIVALENT)
def test_hql_and_json_decode_to_equal_queries(hql: str, json_query: dict[str, Any]) -> None:
    assert query_from_hql(hql, now=NOW) == query_from_json(json_query, now=NOW)


@pytest.mark.parametrize(("hql", "json_query"), EQUIVALENT)
def test_hql_in_a_json_body_decodes_like_a_text_body(hql: str, json_query: dict[str, Any]) -> None:
    assert query_from_json({"query": hql}, now=NOW) == query_from_hql(hql, now=NOW)


def test_json_range_applies_only_when_hql_has_none() -> None:
    relative = {"type": "relative", "unit": "HOURS", "value": 2}
    without = query_from_json({"query": "average(5m)", "range": relative}, now=NOW)
    with_own = query_from_json({"query": "* from points(1h)", "range": relative}, now=NOW)
    assert without.range is not None
    assert without.range.to_json() == relative
    assert with_own.range is not None
    assert with_own.range.to_json() == LAST_HOUR


@pytest.mark.parametrize(
    ("hql", "path", "message"),
    [
        ("average(0ms) from points(1h)", "size", "duration must be at least one millisecond"),
        ("topk(-1) from points(1h)", "k", "k must not be negative"),
        ("* from points(-5, 10)", "", "range start must not be negative, got -5"),
    ],
)
def test_hql_queries_are_checked_like_json_at_the_place_of_the_hql(
    hql: str, path: str, message: str
) -> None:
    with pytest.raises(JsonMappingError) as text:
        query_from_hql(hql, now=NOW)
    with pytest.raises(JsonMappingError) as batched:
        query_from_json({"query": hql}, now=NOW, path="queries.a")
    assert (text.value.message, text.value.path) == (message, "query" + (path and f".{path}"))
    assert batched.value.path == "queries.a.query" + (path and f".{path}")


class CountingClock:
    """A clock one minute later on every read."""

    def __init__(self) -> None:
        self.reads = 0

    def __call__(self) -> int:
        self.reads += 1
        return NOW + (self.reads - 1) * 60_000


@pytest.fixture
def clock(app: FastAPI) -> CountingClock:
    counting = CountingClock()
    app.state.heroic.clock = counting
    return counting


@pytest.fixture
def seeded(client: TestClient) -> TestClient:
    write(client, "k", {"host": "a"}, [(NOW - 120_000, 1.0), (NOW - 60_000, 2.0)])
    return client


def test_every_query_of_a_batch_sees_the_same_now(seeded: TestClient, clock: CountingClock) -> None:
    body = {
        "queries": {
            "hql": {"query": "average(1m) from points(1h)"},
            "json": {
                "range": {"type": "relative", "unit": "HOURS", "value": 1},
                "aggregation": {"type": "average", "size": minutes(1)},
            },
            "fallback": {"aggregation": {"type": "average", "size": minutes(1)}},
        },
        "range": {"type": "relative", "unit": "MINUTES", "value": 60},
    }
    clock.reads = 0
    response = seeded.post("/query/batch", json=body, headers=CLIENT)
    assert response.status_code == 200, response.text
    ranges = [result["range"] for result in response.json()["results"].values()]
    assert ranges[0] == ranges[1] == ranges[2]
    assert clock.reads == 1


def test_an_hql_query_reads_now_once(seeded: TestClient, clock: CountingClock) -> None:
    clock.reads = 0
    response = seeded.post(
        "/query/metrics",
        content="average(1m) from points(1h)",
        headers={**CLIENT, "content-type": "text/plain"},
    )
    assert response.status_code == 200, response.text
    assert clock.reads == 1
    # shift_range keeps clear of the bucket still filling at the now HQL's range ended at
    assert response.json()["range"]["end"] <= NOW - 60_000
