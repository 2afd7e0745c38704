"""Node endpoints: GET /, /status (200/503), /backends, the OpenAPI page."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.backends.factory import build_backends
from heroic_core.backends.group import BackendGroup, Backends
from heroic_core.backends.memory import MemoryMetricBackend
from heroic_core.config import HeroicConfig

SERVICE = {"name": "The Heroic Time Series Database", "version": "0.1.0", "id": "heroic"}


class _NotReady(MemoryMetricBackend):
    async def is_ready(self) -> bool:
        return False


class _Exploding(MemoryMetricBackend):
    async def is_ready(self) -> bool:
        raise ConnectionError("no route to host")


def _status_with_metric_backends(*members: MemoryMetricBackend) -> tuple[int, dict[str, Any]]:
    default = build_backends(HeroicConfig.default())
    backends = Backends(
        metrics=BackendGroup.build(members), metadata=default.metadata, suggest=default.suggest
    )
    with TestClient(create_app(HeroicConfig.default(), backends)) as client:
        response = client.get("/status")
        return response.status_code, response.json()


def test_service_info_reflects_the_config(backends: Backends) -> None:
    config = HeroicConfig.default().model_copy(
        update={"id": "api-1", "service": "Metrics", "version": "1.2.3"}
    )
    with TestClient(create_app(config, backends)) as client:
        assert client.get("/").json() == {
            "name": "Metrics",
            "version": "1.2.3",
            "id": "api-1",
            "commit": "",
        }


def test_status_is_ok_with_every_memory_backend_ready(client: TestClient) -> None:
    response = client.get("/status")
    assert response.status_code == 200
    assert response.json() == {
        "service": {**SERVICE, "commit": ""},
        "ok": True,
        "consumers": {
            "ok": True,
            "available": 0,
            "ready": 0,
            "errors": 0,
            "consumingThreads": 0,
            "totalThreads": 0,
        },
        "backends": {"ok": True, "available": 1, "ready": 1},
        "metadataBackend": {"ok": True, "available": 2, "ready": 2},
        "cluster": {"ok": True, "onlineNodes": 1, "offlineNodes": 0},
    }


def test_status_is_503_with_the_same_body_when_a_backend_is_not_ready() -> None:
    code, body = _status_with_metric_backends(MemoryMetricBackend("a"), _NotReady("b"))
    assert code == 503
    assert body["ok"] is False
    assert body["backends"] == {"ok": False, "available": 2, "ready": 1}
    assert body["metadataBackend"]["ok"] is True


def test_a_readiness_check_that_raises_counts_as_not_ready() -> None:
    code, body = _status_with_metric_backends(_Exploding("a"))
    assert code == 503
    assert body["backends"] == {"ok": False, "available": 1, "ready": 0}


def test_backends_lists_every_backend_with_its_groups(client: TestClient) -> None:
    data = client.get("/backends").json()["data"]
    assert len(data) == 3
    assert data[0].startswith("metrics MemoryMetricBackend(id=")
    assert data[1].startswith("metadata MemoryMetadataBackend(id=")
    assert data[2].startswith("suggest MemorySuggestBackend(id=")
    assert all("groups=[memory]" in line for line in data)


def test_openapi_page_and_schema_describe_the_query_endpoint(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    content = schema["paths"]["/query/metrics"]["post"]["requestBody"]["content"]
    assert set(content) == {"application/json", "text/plain"}
    assert "/metadata/tag-suggest" in schema["paths"]


def _status_with_consumers(source: Any) -> tuple[int, dict[str, Any]]:
    app = create_app(HeroicConfig.default())
    app.state.heroic.consumer_status = source
    with TestClient(app) as client:
        response = client.get("/status")
        return response.status_code, response.json()


def test_consumers_of_the_process_are_reported_and_a_stuck_one_is_503() -> None:
    stuck = {"ok": False, "available": 2, "ready": 1, "errors": 4, "consumingThreads": 1,
             "totalThreads": 2}  # fmt: skip
    code, body = _status_with_consumers(lambda: stuck)
    assert code == 503
    assert body["ok"] is False
    assert body["consumers"] == stuck
    assert body["backends"]["ok"] is True


def test_consumers_that_all_consume_keep_status_ok() -> None:
    running = {"ok": True, "available": 1, "ready": 1, "errors": 0, "consumingThreads": 1,
               "totalThreads": 1}  # fmt: skip
    code, body = _status_with_consumers(lambda: running)
    assert code == 200
    assert body["consumers"] == running


def test_a_consumer_status_source_that_raises_is_not_ok() -> None:
    def broken() -> dict[str, Any]:
        raise RuntimeError("gone")

    code, body = _status_with_consumers(broken)
    assert code == 503
    assert body["consumers"]["ok"] is False
