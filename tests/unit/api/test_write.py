"""POST /write and PUT /metadata/series (reference 2.8, 2.9)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.backends.group import Backends
from heroic_core.config import HeroicConfig

from .helpers import query

RANGE = {"type": "absolute", "start": 0, "end": 600_000}
SERIES = {"key": "cpu", "tags": {"host": "a"}}


def _points(*pairs: tuple[int, float]) -> dict[str, Any]:
    return {"type": "points", "data": [list(p) for p in pairs]}


def test_write_times_every_backend_write(client: TestClient) -> None:
    response = client.post("/write", json={"series": SERIES, "data": _points((1000, 1.0))})
    assert response.status_code == 200
    body = response.json()
    assert body["errors"] == []
    assert len(body["times"]) == 3
    assert all(isinstance(t, int) and t >= 0 for t in body["times"])


def test_written_points_are_sorted_and_the_last_write_of_a_timestamp_wins(
    client: TestClient,
) -> None:
    data = _points((3000, 3.0), (1000, 1.0), (3000, 30.0))
    client.post("/write", json={"series": SERIES, "data": data})
    client.post("/write", json={"series": SERIES, "data": _points((1000, 10.0))})
    assert query(client, {"range": RANGE})["result"][0]["values"] == [[1000, 10.0], [3000, 30.0]]


def test_write_without_data_writes_nothing(client: TestClient) -> None:
    response = client.post("/write", json={"series": SERIES})
    assert response.json() == {"errors": [], "times": []}
    assert client.post("/metadata/series-count", json={}).json()["count"] == 0


def test_write_without_series_uses_the_empty_series(client: TestClient) -> None:
    client.post("/write", json={"data": _points((1000, 1.0))})
    found = client.post("/metadata/series", json={}).json()["series"]
    assert found == [{"key": "", "tags": {}, "resource": {}}]


def test_empty_batch_is_rejected_when_metadata_is_written(client: TestClient) -> None:
    response = client.post("/write", json={"series": SERIES, "data": _points()})
    assert response.status_code == 400
    assert response.json()["message"] == "write batch must not be empty"


@pytest.mark.parametrize(
    ("body", "path", "fragment"),
    [
        ({"series": SERIES, "data": {"type": "spreads", "data": []}}, "data.type", "only 'points'"),
        (
            {"series": SERIES, "data": {"type": "distributionPoints", "data": [[1, 1.0]]}},
            "data.data[0]",
            '{"value": <base64>, "timestamp": <ms>}',
        ),
        (
            {
                "series": SERIES,
                "data": {"type": "distributionPoints", "data": [{"value": "@@", "timestamp": 1}]},
            },
            "data.data[0].value",
            "not valid base64",
        ),
        (
            {
                "series": SERIES,
                "data": {"type": "distributionPoints", "data": [{"value": "", "timestamp": -5}]},
            },
            "data.data[0].timestamp",
            "negative",
        ),
        (
            {"series": SERIES, "data": _points((1, 1.0)) | {"data": [[1, 1.0], [2]]}},
            "data.data[1]",
            "[timestamp, value]",
        ),
        (
            {"series": SERIES, "data": {"type": "points", "data": [[1.5, 1.0]]}},
            "data.data[0]",
            "integer",
        ),
        (
            {"series": SERIES, "data": {"type": "points", "data": [[1, "x"]]}},
            "data.data[0]",
            "number",
        ),
        (
            {"series": SERIES, "data": {"type": "points", "data": [[-1, 1.0]]}},
            "data.data[0]",
            "negative",
        ),
        ({"series": SERIES, "data": {"data": []}}, "data.type", "Field required"),
        ({"series": {"tags": {}}, "data": _points((1, 1.0))}, "series", "key"),
        (
            {"series": {"key": "k", "tags": {"a": 1}}, "data": _points((1, 1.0))},
            "series",
            "strings",
        ),
    ],
)
def test_bad_writes_are_json_errors_naming_the_field(
    client: TestClient, body: dict[str, Any], path: str, fragment: str
) -> None:
    response = client.post("/write", json=body)
    assert response.status_code == 400
    payload = response.json()
    assert (payload["type"], payload["path"]) == ("json-error", path)
    assert fragment in payload["message"]


def _client(backends: Backends, ingestion: dict[str, Any]) -> TestClient:
    config = HeroicConfig.from_dict(
        {
            "ingestion": ingestion,
            "metrics": {"backends": [{"type": "memory"}]},
            "metadata": {"backends": [{"type": "memory"}]},
            "suggest": {"backends": [{"type": "memory"}]},
        }
    )
    return TestClient(create_app(config, backends))


def test_ingestion_filter_silently_drops_other_series(backends: Backends) -> None:
    with _client(backends, {"filter": "host = a"}) as client:
        other = {"key": "cpu", "tags": {"host": "b"}}
        response = client.post("/write", json={"series": other, "data": _points((1000, 1.0))})
        assert response.json() == {"errors": [], "times": []}
        client.post("/write", json={"series": SERIES, "data": _points((1000, 1.0))})
        found = client.post("/metadata/series", json={}).json()["series"]
        assert [s["tags"] for s in found] == [{"host": "a"}]


def test_disabled_metadata_updates_write_only_points(backends: Backends) -> None:
    with _client(backends, {"updateMetadata": False, "updateSuggestions": False}) as client:
        response = client.post("/write", json={"series": SERIES, "data": _points((1000, 1.0))})
        assert len(response.json()["times"]) == 1
        assert client.post("/metadata/series-count", json={}).json()["count"] == 0


def test_put_metadata_series_indexes_metadata_and_suggest(client: TestClient) -> None:
    series = {"key": "disk", "tags": {"dev": "sda"}, "resource": {"pod": "p"}}
    response = client.put("/metadata/series", json=series)
    assert response.status_code == 200
    assert len(response.json()["times"]) == 2
    assert client.post("/metadata/series", json={}).json()["series"] == [series]
    values = client.post("/metadata/tag-value-suggest", json={"key": "dev"}).json()["values"]
    assert values == ["sda"]
