"""POST /query/batch (reference 2.7) and the /parser endpoints."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .helpers import CLIENT, NOW, write

RANGE = {"type": "absolute", "start": 0, "end": 600_000}
OTHER = {"type": "absolute", "start": 0, "end": 2_000}


def _fill(client: TestClient) -> None:
    write(client, "cpu", {"host": "a"}, [(1_000, 1.0), (3_000, 3.0)])
    write(client, "cpu", {"host": "b"}, [(1_000, 10.0)])


def test_batch_runs_each_named_query_with_the_shared_range(client: TestClient) -> None:
    _fill(client)
    body = {
        "range": RANGE,
        "queries": {
            "all": {"aggregation": {"type": "sum", "size": "10m"}},
            "b": {"filter": ["=", "host", "b"], "range": OTHER},
        },
    }
    response = client.post("/query/batch", json=body, headers=CLIENT)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert list(results) == ["all", "b"]
    assert results["all"]["range"] == {"start": 0, "end": 600_000}
    assert results["all"]["result"][0]["values"] == [[600_000, 14.0]]
    assert results["b"]["range"] == {"start": 0, "end": 2_000}
    assert [g["values"] for g in results["b"]["result"]] == [[[1_000, 10.0]]]


def test_batch_query_without_any_range_names_the_query(client: TestClient) -> None:
    response = client.post("/query/batch", json={"queries": {"x": {}}}, headers=CLIENT)
    assert response.status_code == 400
    assert response.json() == {
        "type": "json-error",
        "message": "Range must be present",
        "reason": "Bad Request",
        "status": 400,
        "path": "queries.x",
    }


def test_batch_decoding_errors_carry_the_query_path(client: TestClient) -> None:
    body = {"range": RANGE, "queries": {"x": {"filter": ["nope"]}}}
    response = client.post("/query/batch", json=body, headers=CLIENT)
    assert response.status_code == 400
    assert response.json()["path"] == "queries.x.filter"


def test_empty_batch_has_no_results(client: TestClient) -> None:
    response = client.post("/query/batch", json={"queries": {}}, headers=CLIENT)
    assert response.json() == {"results": {}}


def test_parse_query_returns_upstream_query_json(client: TestClient) -> None:
    response = client.post(
        "/parser/parse-query",
        content=b"average(5m) by host from points(1h) where site = lon",
        headers={"Content-Type": "text/plain"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "aggregation": {
            "type": "group",
            "of": ["host"],
            "each": {"type": "average", "size": {"duration": 5, "unit": "MINUTES"}},
        },
        "source": "points",
        "range": {"type": "absolute", "start": NOW - 3_600_000, "end": NOW},
        "filter": ["=", "site", "lon"],
    }


def test_parse_query_get_takes_the_query_parameter(client: TestClient) -> None:
    response = client.get("/parser/parse-query", params={"query": "* where $key = cpu"})
    assert response.json() == {"filter": ["key", "cpu"]}


def test_parse_filter_post_and_get_agree(client: TestClient) -> None:
    text = "host = a and (site = x or site = y)"
    posted = client.post("/parser/parse-filter", content=text.encode()).json()
    fetched = client.get("/parser/parse-filter", params={"filter": text}).json()
    assert (
        posted
        == fetched
        == ["and", ["=", "host", "a"], ["or", ["=", "site", "x"], ["=", "site", "y"]]]
    )


def test_parse_filter_get_without_filter_is_a_400(client: TestClient) -> None:
    response = client.get("/parser/parse-filter")
    assert response.status_code == 400
    assert response.json()["message"] == "missing query parameter 'filter'"


def test_parse_filter_syntax_error_is_a_parse_error(client: TestClient) -> None:
    response = client.post("/parser/parse-filter", content=b"host = ")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "parse-error"
    assert (body["line"], body["col"]) == (1, 7)
