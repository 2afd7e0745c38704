"""``GET /status`` of the consumer node answers upstream's body (service, consumers, backends,
metadataBackend, cluster) on the health port, 200 when every part is ok and 503 otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from heroic_consumer.columns import columns_of
from heroic_consumer.health import Probes, start_health_server
from heroic_consumer.node import ConsumerNode, NodeOptions
from heroic_core.backends.factory import build_backends
from heroic_core.config import HeroicConfig
from heroic_core.model import Series

pytestmark = pytest.mark.anyio

CONFIG = {
    "id": "ingest-7",
    "service": "Heroic consumers",
    "metrics": {"backends": [{"type": "memory"}]},
    "metadata": {"backends": [{"type": "memory"}]},
    "suggest": {"backends": [{"type": "memory"}]},
    "consumers": [
        {
            "type": "kafka",
            "schema": "com.spotify.heroic.consumer.schemas.Spotify100",
            "topics": ["metrics"],
            "config": {"bootstrap.servers": "127.0.0.1:1", "group.id": "g"},
        }
    ],
}


@pytest.fixture
def node() -> ConsumerNode:
    config = HeroicConfig.from_dict(CONFIG)
    return ConsumerNode(NodeOptions(config=config), build_backends(config))


@pytest.fixture
async def client(node: ConsumerNode) -> AsyncIterator[httpx.AsyncClient]:
    probes = Probes(node.live, node.ready, node.stats.registry, node.full_status)
    server = await start_health_server(probes, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
        yield http
    server.close()


async def _status(client: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await client.get("/status")
    assert response.headers["content-type"] == "application/json"
    return response.status_code, response.json()


async def test_status_has_upstreams_shape_and_is_ok_while_consuming(
    node: ConsumerNode, client: httpx.AsyncClient
) -> None:
    for pipeline in node.pipelines:
        pipeline.running = True
    code, body = await _status(client)
    assert code == 200
    assert set(body) == {"service", "ok", "consumers", "backends", "metadataBackend", "cluster"}
    assert body["ok"] is True
    assert body["service"]["name"] == "Heroic consumers"
    assert body["service"]["id"] == "ingest-7"
    assert body["service"]["version"]
    assert body["consumers"] == {
        "ok": True, "available": 1, "ready": 1, "errors": 0,
        "consumingThreads": 1, "totalThreads": 1,
    }  # fmt: skip
    assert body["backends"] == {"ok": True, "available": 1, "ready": 1}
    assert body["metadataBackend"] == {"ok": True, "available": 2, "ready": 2}
    assert body["cluster"] == {"ok": True, "onlineNodes": 1, "offlineNodes": 0}


async def test_status_is_503_until_the_consumers_run(client: httpx.AsyncClient) -> None:
    code, body = await _status(client)
    assert code == 503
    assert body["ok"] is False
    assert body["consumers"]["ok"] is False
    assert body["consumers"]["consumingThreads"] == 0
    assert body["backends"]["ok"] is True


async def test_a_backend_whose_writes_fail_is_not_ready(
    node: ConsumerNode, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for pipeline in node.pipelines:
        pipeline.running = True
    metric_backend = node.writer.metrics[0]

    async def refused(*_: Any) -> None:
        raise ConnectionRefusedError("metric store down")

    monkeypatch.setattr(metric_backend, "write_batch", refused)
    columns = columns_of([(Series("k", {"host": "a"}), 1_000, 1.0)])
    writing = asyncio.create_task(node.writer.write_columns(columns))
    try:
        while not node.writer.is_failing(metric_backend.id, "metrics"):
            await asyncio.sleep(0.01)
        code, body = await _status(client)
    finally:
        writing.cancel()
    assert code == 503
    assert body["backends"] == {"ok": False, "available": 1, "ready": 0}
    # The metadata backends share the memory backend's id, not its failure.
    assert body["metadataBackend"]["ok"] is True


async def test_a_backend_whose_readiness_check_fails_is_not_ready(
    node: ConsumerNode, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for pipeline in node.pipelines:
        pipeline.running = True

    async def broken() -> bool:
        raise ConnectionError("no route to host")

    monkeypatch.setattr(node.writer.suggest[0], "is_ready", broken)
    code, body = await _status(client)
    assert code == 503
    assert body["metadataBackend"] == {"ok": False, "available": 2, "ready": 1}


async def test_head_status_answers_without_a_body(
    node: ConsumerNode, client: httpx.AsyncClient
) -> None:
    for pipeline in node.pipelines:
        pipeline.running = True
    response = await client.head("/status")
    assert response.status_code == 200
    assert response.content == b""
