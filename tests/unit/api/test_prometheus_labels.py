"""/api/v1/series, /labels, /label/<name>/values, /metadata and /status/buildinfo."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .test_prometheus_query import T0, write


@pytest.fixture
def seeded(client: TestClient) -> TestClient:
    write(client, "cpu.usage", {"host": "a", "dc": "x"}, [(T0, 1.0)])
    write(client, "cpu.usage", {"host": "b", "dc": "y"}, [(T0, 1.0)])
    write(client, "mem", {"host": "a"}, [(T0, 1.0)])
    return client


def data(client: TestClient, path: str, params: list[tuple[str, str]] | None = None) -> object:
    query: list[tuple[str, str | int | float | bool | None]] = list(params or [])
    response = client.get(path, params=query)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_series_unions_every_match(seeded: TestClient) -> None:
    found = data(seeded, "/api/v1/series", [("match[]", "mem"), ("match[]", '{dc="y"}')])
    assert found == [
        {"__name__": "cpu.usage", "dc": "y", "host": "b"},
        {"__name__": "mem", "host": "a"},
    ]


def test_series_needs_a_match(seeded: TestClient) -> None:
    response = seeded.get("/api/v1/series")
    assert response.status_code == 400
    assert response.json()["error"] == "no match[] parameter provided"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([], ["__name__", "dc", "host"]),
        ([("match[]", "mem")], ["__name__", "host"]),
        ([("match[]", '{host=~"a|z"}')], ["__name__", "dc", "host"]),
        ([("match[]", '{__name__=~"m.*"}')], ["__name__", "host"]),  # not pushed down
    ],
)
def test_label_names(
    seeded: TestClient, params: list[tuple[str, str]], expected: list[str]
) -> None:
    assert data(seeded, "/api/v1/labels", params) == expected


@pytest.mark.parametrize(
    ("name", "params", "expected"),
    [
        ("__name__", [], ["cpu.usage", "mem"]),
        ("host", [], ["a", "b"]),
        ("host", [("match[]", '{"cpu.usage", dc!="x"}')], ["b"]),
        ("dc", [("match[]", '{__name__=~".+", host!~"b"}')], ["x"]),
        ("nothing", [], []),
    ],
)
def test_label_values(
    seeded: TestClient, name: str, params: list[tuple[str, str]], expected: list[str]
) -> None:
    assert data(seeded, f"/api/v1/label/{name}/values", params) == expected


def test_limit_truncates_with_a_warning(seeded: TestClient) -> None:
    response = seeded.get("/api/v1/label/host/values", params={"limit": "1"})
    assert response.json()["data"] == ["a"]
    assert response.json()["warnings"] == ["results truncated due to limit"]


def test_metadata_names_every_metric_as_unknown(seeded: TestClient) -> None:
    assert data(seeded, "/api/v1/metadata") == {
        "cpu.usage": [{"type": "unknown", "help": "", "unit": ""}],
        "mem": [{"type": "unknown", "help": "", "unit": ""}],
    }
    only = data(seeded, "/api/v1/metadata", [("metric", "mem")])
    assert isinstance(only, dict)
    assert list(only) == ["mem"]


def test_buildinfo_names_the_prometheus_semantics_and_our_version(client: TestClient) -> None:
    info = data(client, "/api/v1/status/buildinfo")
    assert isinstance(info, dict)
    assert info["version"] == "2.42.0"
    assert info["application"] == "heroic"


def test_format_query_prettifies_and_refuses_bad_queries(client: TestClient) -> None:
    formatted = data(client, "/api/v1/format_query", [("query", "sum by(a)(rate(x[5m]))")])
    assert formatted == "sum by (a) (rate(x[5m]))"
    response = client.get("/api/v1/format_query", params={"query": "sum("})
    assert response.status_code == 400
    assert response.json()["errorType"] == "bad_data"


def test_rules_alerts_and_exemplars_answer_none(client: TestClient) -> None:
    assert data(client, "/api/v1/rules") == {"groups": []}
    assert data(client, "/api/v1/alerts") == {"alerts": []}
    assert data(client, "/api/v1/query_exemplars", [("query", "up")]) == []
