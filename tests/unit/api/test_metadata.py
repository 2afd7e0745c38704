"""The /metadata/* endpoints on memory backends: whole response bodies (reference 2.9)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import write

SERIES = [
    ("cpu", {"host": "a", "site": "x"}),
    ("cpu", {"host": "b", "site": "x"}),
    ("mem", {"host": "a", "site": "y"}),
]


@pytest.fixture
def indexed(client: TestClient) -> TestClient:
    for key, tags in SERIES:
        write(client, key, tags, [(1000, 1.0)])
    return client


def _post(client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/metadata/{path}", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _series(key: str, tags: dict[str, str]) -> dict[str, Any]:
    return {"key": key, "tags": tags, "resource": {}}


def test_find_series_returns_every_match_sorted(indexed: TestClient) -> None:
    assert _post(indexed, "series", {}) == {
        "errors": [],
        "series": [_series(k, t) for k, t in SERIES],
        "limited": False,
    }


def test_find_series_limit_marks_the_result_limited(indexed: TestClient) -> None:
    body = _post(indexed, "series", {"limit": 2})
    assert body == {
        "errors": [],
        "series": [_series(*SERIES[0]), _series(*SERIES[1])],
        "limited": True,
    }


def test_find_series_filters_and_ignores_legacy_match_fields(indexed: TestClient) -> None:
    body = _post(
        indexed, "series", {"filter": ["=", "site", "y"], "matchKey": "cpu", "hasTags": []}
    )
    assert body["series"] == [_series(*SERIES[2])]


def test_find_series_accepts_a_range(indexed: TestClient) -> None:
    relative = {"type": "relative", "unit": "HOURS", "value": 1}
    assert len(_post(indexed, "series", {"range": relative})["series"]) == 3


def test_count_series(indexed: TestClient) -> None:
    assert _post(indexed, "series-count", {"filter": ["key", "cpu"]}) == {
        "errors": [],
        "count": 2,
        "limited": False,
    }


def test_delete_series_removes_matches(indexed: TestClient) -> None:
    response = indexed.request("DELETE", "/metadata/series", json={"filter": ["key", "mem"]})
    assert response.json() == {"errors": [], "deleted": 1, "failed": 0}
    assert _post(indexed, "series-count", {})["count"] == 2


def test_keys_counts_duplicates(indexed: TestClient) -> None:
    assert _post(indexed, "keys", {}) == {
        "errors": [],
        "keys": ["cpu", "mem"],
        "size": 2,
        "duplicates": 1,
    }


def test_tags_returns_the_real_tags_unlike_upstream(indexed: TestClient) -> None:
    assert _post(indexed, "tags", {"filter": ["key", "cpu"]}) == {
        "errors": [],
        "tags": {"host": ["a", "b"], "site": ["x"]},
        "size": 2,
    }


def test_key_suggest_matches_a_prefix(indexed: TestClient) -> None:
    body = _post(indexed, "key-suggest", {"key": "cp"})
    assert body["errors"] == []
    assert [s["key"] for s in body["suggestions"]] == ["cpu"]
    assert body["suggestions"][0]["score"] > 0


def test_tag_suggest_matches_a_key_prefix(indexed: TestClient) -> None:
    body = _post(indexed, "tag-suggest", {"key": "ho"})
    pairs = sorted((s["key"], s["value"]) for s in body["suggestions"])
    assert pairs == [("host", "a"), ("host", "b")]
    assert all(s["score"] > 0 for s in body["suggestions"])


def test_tag_suggest_limit(indexed: TestClient) -> None:
    assert len(_post(indexed, "tag-suggest", {"limit": 3})["suggestions"]) == 3


def test_tag_value_suggest(indexed: TestClient) -> None:
    assert _post(indexed, "tag-value-suggest", {"key": "host"}) == {
        "errors": [],
        "values": ["a", "b"],
        "limited": False,
    }
    assert _post(indexed, "tag-value-suggest", {"key": "host", "limit": 1}) == {
        "errors": [],
        "values": ["a"],
        "limited": True,
    }


def test_tag_values_suggest(indexed: TestClient) -> None:
    assert _post(indexed, "tag-values-suggest", {}) == {
        "errors": [],
        "suggestions": [
            {"key": "host", "values": ["a", "b"], "limited": False},
            {"key": "site", "values": ["x", "y"], "limited": False},
        ],
        "limited": False,
    }


def test_tag_values_suggest_group_limit_and_exclude(indexed: TestClient) -> None:
    body = _post(indexed, "tag-values-suggest", {"groupLimit": 1, "exclude": ["site"]})
    assert body == {
        "errors": [],
        "suggestions": [{"key": "host", "values": ["a"], "limited": True}],
        "limited": False,
    }


def test_tagkey_count(indexed: TestClient) -> None:
    assert _post(indexed, "tagkey-count", {"filter": ["key", "cpu"]}) == {
        "errors": [],
        "suggestions": [
            {"key": "host", "count": 2, "exactValues": ["a", "b"]},
            {"key": "site", "count": 1, "exactValues": ["x"]},
        ],
        "limited": False,
    }


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("series", {"filter": ["bogus"]}, "filter"),
        ("series", {"limit": -1}, "limit"),
        ("series", {"limit": "ten"}, "limit"),
        ("series", {"range": {"type": "relative", "unit": "WEEKS", "value": 1}}, "range.unit"),
        ("key-suggest", {"match": {"fuzzyPrefixLength": "x"}}, "match"),
        ("tag-values-suggest", {"exclude": "site"}, "exclude"),
    ],
)
def test_bad_metadata_requests_name_the_field(
    client: TestClient, path: str, body: dict[str, Any], where: str
) -> None:
    response = client.post(f"/metadata/{path}", json=body)
    assert response.status_code == 400
    assert (response.json()["type"], response.json()["path"]) == ("json-error", where)


def test_metadata_body_must_be_an_object(client: TestClient) -> None:
    response = client.post("/metadata/series", json=[1])
    assert response.status_code == 400
    assert response.json()["type"] == "json-error"
