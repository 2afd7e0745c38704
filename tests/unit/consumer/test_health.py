"""The probe and metrics server: status codes follow the probe callables."""

from __future__ import annotations

import asyncio

import pytest

from heroic_consumer.health import Probes, start_health_server
from heroic_consumer.stats import ConsumerStats

pytestmark = pytest.mark.anyio


async def _get(port: int, path: str, method: str = "GET") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture
def state() -> dict[str, bool]:
    return {"live": True, "ready": False}


async def _serve(state: dict[str, bool], stats: ConsumerStats) -> asyncio.Server:
    probes = Probes(
        live=lambda: (state["live"], "ok" if state["live"] else "stuck"),
        ready=lambda: (state["ready"], "ok" if state["ready"] else "starting"),
        registry=stats.registry,
    )
    return await start_health_server(probes, "127.0.0.1", 0)


async def test_probes_report_the_node_state(state: dict[str, bool]) -> None:
    server = await _serve(state, ConsumerStats())
    port = server.sockets[0].getsockname()[1]
    try:
        assert await _get(port, "/healthz") == (200, b"ok\n")
        assert await _get(port, "/readyz") == (503, b"starting\n")
        state["ready"], state["live"] = True, False
        assert await _get(port, "/readyz?verbose") == (200, b"ok\n")
        assert await _get(port, "/healthz") == (503, b"stuck\n")
    finally:
        server.close()


async def test_metrics_expose_the_registry(state: dict[str, bool]) -> None:
    stats = ConsumerStats()
    stats.consumed.labels("kafka").inc(3)
    stats.set_lag("kafka", {"metrics/0": 7})
    server = await _serve(state, stats)
    port = server.sockets[0].getsockname()[1]
    try:
        status, body = await _get(port, "/metrics")
    finally:
        server.close()
    assert status == 200
    assert b'heroic_consumer_messages_consumed_total{source="kafka"} 3.0' in body
    assert b'heroic_consumer_lag{partition="metrics/0",source="kafka"} 7.0' in body


async def test_unknown_path_and_method(state: dict[str, bool]) -> None:
    server = await _serve(state, ConsumerStats())
    port = server.sockets[0].getsockname()[1]
    try:
        assert (await _get(port, "/nope"))[0] == 404
        assert (await _get(port, "/healthz", "POST"))[0] == 405
        assert await _get(port, "/healthz", "HEAD") == (200, b"")
    finally:
        server.close()


def test_lag_gauges_of_a_source_are_replaced() -> None:
    stats = ConsumerStats()
    stats.set_lag("kafka", {"t/0": 1, "t/1": 2})
    stats.set_lag("pubsub", {"s": 5})
    stats.set_lag("kafka", {"t/1": 4})
    get = stats.registry.get_sample_value
    assert get("heroic_consumer_lag", {"source": "kafka", "partition": "t/0"}) is None
    assert get("heroic_consumer_lag", {"source": "kafka", "partition": "t/1"}) == 4
    assert get("heroic_consumer_lag", {"source": "pubsub", "partition": "s"}) == 5
