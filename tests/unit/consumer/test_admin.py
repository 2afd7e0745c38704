"""The consumer node under the shell's control (``ConsumerNodeControl``): consumers named by
what they consume, pause reaching the pipelines, the writer's ingestion filter replaced, the
node's counters per consumer and per backend; the admin endpoint only with ``shellServer``."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from heroic_consumer.admin import ConsumerNodeControl, start_consumer_admin
from heroic_consumer.node import ConsumerNode, NodeOptions
from heroic_core.admin.control import backend_key
from heroic_core.admin.server import AdminConfigError
from heroic_core.admin.tasks import NodeTaskRunner
from heroic_core.backends.factory import build_backends
from heroic_core.config import HeroicConfig
from heroic_core.hql import parse_filter

pytestmark = pytest.mark.anyio

MEMORY = {
    "metrics": {"backends": [{"type": "memory"}]},
    "metadata": {"backends": [{"type": "memory"}]},
    "suggest": {"backends": [{"type": "memory"}]},
}
KAFKA = {
    "type": "kafka",
    "schema": "com.spotify.heroic.consumer.schemas.Spotify100",
    "topics": ["metrics", "more"],
    "config": {"bootstrap.servers": "127.0.0.1:1", "group.id": "g"},
}


class Lines:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.err: list[str] = []

    def line(self, text: str = "") -> None:
        self.out.append(text)

    def note(self, text: str) -> None:
        self.err.append(text)


def _node(**sections: Any) -> ConsumerNode:
    config = HeroicConfig.from_dict(MEMORY | {"consumers": [KAFKA]} | sections)
    return ConsumerNode(NodeOptions(config=config), build_backends(config))


def test_consumers_are_named_by_source_and_topics() -> None:
    control = ConsumerNodeControl(_node())
    assert [c.name for c in control.consumers()] == ["kafka #1 (topics: metrics, more)"]


async def test_pause_holds_the_pipeline_and_resume_releases_it() -> None:
    node = _node()
    runner = NodeTaskRunner(ConsumerNodeControl(node))
    assert await runner.run(["pause"], Lines()) == 0
    assert node.pipelines[0].held
    lines = Lines()
    await runner.run(["statistics"], lines)
    assert "  kafka #1 (topics: metrics, more): paused" in lines.out
    assert await runner.run(["resume"], Lines()) == 0
    assert not node.pipelines[0].held


def test_ingestion_filter_starts_from_the_config_and_replaces_the_writers() -> None:
    node = _node(ingestion={"filter": "host = a"})
    control = ConsumerNodeControl(node)
    assert control.ingestion_filter().to_json() == ["=", "host", "a"]
    control.set_ingestion_filter(parse_filter("role = db"))
    assert node.writer.filter.to_json() == ["=", "role", "db"]


def test_counters_are_per_consumer_and_per_backend_function() -> None:
    node = _node()
    node.stats.consumed.labels("kafka").inc(3)
    node.stats.written.labels("memory#0", "metrics").inc(2)
    node.stats.written.labels("memory#0", "suggest").inc(5)
    node.stats.points_written.labels("memory#0").inc(9)
    control = ConsumerNodeControl(node)
    consumer = control.consumers()[0].counters()
    assert consumer["messages_consumed"] == 3
    assert consumer["uncommitted"] == 0
    per_backend = control.backend_counters()
    metrics_id = node.backends.metrics.members[0].id
    suggest_id = node.backends.suggest.members[0].id
    assert per_backend[backend_key("metrics", metrics_id)] == {
        "writes": 2,
        "points_written": 9,
    }
    assert per_backend[backend_key("suggest", suggest_id)] == {"writes": 5}


async def test_no_admin_endpoint_without_shell_server() -> None:
    assert await start_consumer_admin(_node()) is None


async def test_admin_endpoint_refuses_a_non_loopback_bind_without_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HEROIC_ADMIN_TOKEN", raising=False)
    node = _node(shellServer={"host": "0.0.0.0", "port": 0})  # noqa: S104
    with pytest.raises(AdminConfigError, match="HEROIC_ADMIN_TOKEN"):
        await start_consumer_admin(node)


async def test_admin_endpoint_listens_on_the_shell_server_port() -> None:
    node = _node(shellServer={"host": "127.0.0.1", "port": 0})
    server = await start_consumer_admin(node)
    assert server is not None
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5):
            pass
    finally:
        await server.close()


async def test_a_pipeline_whose_loop_does_not_turn_fails_pause_saying_so() -> None:
    node = _node()
    pipeline = node.pipelines[0]
    pipeline.running = True  # started, but its loop never turns to take the pause
    control = ConsumerNodeControl(node)
    lines = Lines()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("heroic_consumer.admin.HOLD_TIMEOUT", 0.05)
        assert await NodeTaskRunner(control).run(["pause"], lines) == 1
    assert "did not pause within" in lines.err[0]
    assert pipeline.held  # it pauses at its next turn
