"""Shard fan-out and cluster refresh with stand-in nodes: retries within a shard, shard errors
naming nodes and tags, timeouts, darkload shards, expected topology, and what a refresh keeps,
replaces, drops and serves in process."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from heroic_api.cluster.discovery import StaticDiscovery
from heroic_api.cluster.fanout import FanOut
from heroic_api.cluster.local import LocalNode
from heroic_api.cluster.manager import ClusterManager
from heroic_api.cluster.nodes import ClusterNode, NodeError, NodeMetadata
from heroic_api.cluster.registry import Registry


class StandIn:
    """A node that answers ``answer``, fails, or hangs."""

    def __init__(self, uri: str, tags: dict[str, str], *, fail: bool = False,
                 hang: bool = False, node_id: str | None = None) -> None:  # fmt: skip
        self.uri = uri
        self.metadata = NodeMetadata(0, node_id or uri, tags)
        self.fail, self.hang = fail, hang
        self.calls = 0
        self.closed = False

    def __str__(self) -> str:
        return self.uri

    async def query(self, request: dict[str, Any]) -> Any:
        self.calls += 1
        if self.hang:
            await asyncio.sleep(60)
        if self.fail:
            raise NodeError(f"{self.uri}: connection refused")
        return {"from": self.uri}

    async def metadata_operation(self, name: str, body: dict[str, Any]) -> Any:
        return await self.query(body)

    async def fetch_metadata(self) -> NodeMetadata:
        if self.fail:
            raise NodeError(f"{self.uri}: connection refused")
        return self.metadata

    async def close(self) -> None:
        self.closed = True


def _fanout(*nodes: StandIn, topology: list[dict[str, str]] | None = None,
            timeout: float = 5.0) -> FanOut:  # fmt: skip
    registry = Registry(nodes, 0, topology or [])
    return FanOut(lambda: registry, timeout)


async def _ask(node: ClusterNode) -> Any:
    return await node.query({})


def test_a_failed_node_is_retried_on_another_node_of_its_shard() -> None:
    dead = StandIn("http://b0", {"site": "b"}, fail=True)
    alive = StandIn("http://b1", {"site": "b"})
    for _ in range(10):  # the first node is picked at random
        [outcome] = asyncio.run(_fanout(dead, alive).all_shards(_ask))
        assert (outcome.answer, outcome.failure) == ({"from": "http://b1"}, None)


def test_a_shard_whose_nodes_all_fail_is_a_shard_error_naming_them() -> None:
    a = StandIn("http://a0", {"site": "a"})
    b0 = StandIn("http://b0", {"site": "b"}, fail=True)
    b1 = StandIn("http://b1", {"site": "b"}, fail=True)
    outcomes = asyncio.run(_fanout(a, b0, b1).all_shards(_ask))
    assert outcomes[0].answer == {"from": "http://a0"}
    failure = outcomes[1].failure
    assert failure is not None
    error = failure.to_error()
    assert (error["type"], error["shard"], error["nodes"]) == (
        "shard", {"site": "b"}, ["http://b0", "http://b1"],
    )  # fmt: skip
    assert error["error"].startswith("No groups available, caused by ")
    assert "http://b0: connection refused" in error["error"]
    assert (b0.calls, b1.calls) == (1, 1)


def test_a_shard_slower_than_the_timeout_is_cut_off() -> None:
    slow = StandIn("http://c0", {"site": "c"}, hang=True)
    [outcome] = asyncio.run(_fanout(slow, timeout=0.05).all_shards(_ask))
    assert outcome.failure is not None
    assert outcome.failure.to_error()["error"] == "Shard timed out after 0.05 s"


def test_an_expected_shard_without_nodes_is_an_error() -> None:
    a = StandIn("http://a0", {"site": "a"})
    outcomes = asyncio.run(_fanout(a, topology=[{"site": "a"}, {"site": "z"}]).all_shards(_ask))
    assert [o.tags for o in outcomes] == [{"site": "a"}, {"site": "z"}]
    assert outcomes[1].failure is not None
    assert outcomes[1].failure.to_error()["nodes"] == []


def test_darkload_shards_are_asked_and_ignored() -> None:
    a = StandIn("http://a0", {"site": "a"})
    dark = StandIn("http://d0", {"site": "d", "darkload": "true"})

    async def run() -> list[Any]:
        fanout = _fanout(a, dark)
        outcomes = await fanout.all_shards(_ask)
        await asyncio.sleep(0.01)
        await fanout.close()
        return outcomes

    outcomes = asyncio.run(run())
    assert [o.tags for o in outcomes] == [{"site": "a"}]
    assert dark.calls == 1


def _manager(peers: dict[str, StandIn], local: LocalNode, **kwargs: Any) -> ClusterManager:
    async def connect(uri: str) -> ClusterNode:
        node = peers[uri]
        await node.fetch_metadata()
        return node

    return ClusterManager(local, StaticDiscovery(list(peers)), connect, **kwargs)


def _local() -> LocalNode:
    def unused(*_: Any) -> Any:
        raise AssertionError("not called")

    return LocalNode("local", NodeMetadata(0, "me", {"site": "a"}), unused, unused)


def test_a_refresh_serves_this_node_in_process_and_counts_failed_addresses() -> None:
    local = _local()
    me = StandIn("http://a0", {"site": "a"}, node_id="me")
    other = StandIn("http://b0", {"site": "b"})
    down = StandIn("http://c0", {"site": "c"}, fail=True)
    manager = _manager({"http://a0": me, "http://b0": other, "http://c0": down}, local)
    registry = asyncio.run(manager.refresh())
    assert list(registry.nodes) == [local, other]
    assert me.closed  # the connection to itself is not kept
    assert registry.statistics() == {"onlineNodes": 2, "offlineNodes": 1}


def test_a_refresh_drops_nodes_no_longer_found_and_closes_them() -> None:
    other = StandIn("http://b0", {"site": "b"})
    peers = {"http://b0": other}
    manager = _manager(peers, _local())

    async def run() -> Registry:
        await manager.refresh()
        manager.discovery = StaticDiscovery([])
        return await manager.refresh()

    registry = asyncio.run(run())
    assert other.closed
    assert [n.uri for n in registry.nodes] == ["local"]  # useLocal: this node alone


@pytest.mark.parametrize("uri", ["grpc://b0:9698", "b0:8080"])
def test_addresses_of_other_protocols_are_offline(uri: str) -> None:
    manager = _manager({uri: StandIn(uri, {"site": "b"})}, _local(), use_local=False)
    registry = asyncio.run(manager.refresh())
    assert registry.statistics() == {"onlineNodes": 0, "offlineNodes": 1}


def test_a_refresh_on_request_cancels_the_quick_retry_it_made_needless(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A peer still starting makes the background loop retry soon; once a requested refresh
    # has found every node, that pending retry must not run (it would drop a node stopped
    # since, before the next refreshInterval).
    monkeypatch.setattr("heroic_api.cluster.manager.RETRY_SECONDS", 0.05)
    starting = StandIn("http://b0", {"site": "b"}, fail=True)
    manager = _manager({"http://b0": starting}, _local(), refresh_interval=3600)

    async def run() -> tuple[int, int]:
        await manager.start()
        await asyncio.sleep(0.02)  # the first background refresh: b0 offline
        starting.fail = False
        await manager.refresh()  # /cluster/refresh: b0 online
        after_request = manager._refreshes
        await asyncio.sleep(0.3)  # several retry periods
        await manager.stop()
        return after_request, manager._refreshes

    after_request, at_end = asyncio.run(run())
    assert at_end == after_request
    assert [str(n) for n in manager.registry.nodes] == ["http://b0"]


def test_the_background_loop_retries_while_an_address_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("heroic_api.cluster.manager.RETRY_SECONDS", 0.02)
    starting = StandIn("http://b0", {"site": "b"}, fail=True)
    manager = _manager({"http://b0": starting}, _local(), refresh_interval=3600)

    async def run() -> None:
        await manager.start()
        await asyncio.sleep(0.05)
        starting.fail = False  # it comes up: a retry finds it, nobody asked
        for _ in range(100):
            if manager.registry.offline == 0:
                break
            await asyncio.sleep(0.02)
        await manager.stop()

    asyncio.run(run())
    assert [str(n) for n in manager.registry.nodes] == ["http://b0"]


def test_a_refresh_on_request_that_finds_an_address_offline_plans_a_quick_retry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every node online: the background loop waits the whole interval. A requested refresh
    # that then finds a node down must start quick retries again, so that the node is seen
    # back well before the next refreshInterval.
    monkeypatch.setattr("heroic_api.cluster.manager.RETRY_SECONDS", 0.02)
    peer = StandIn("http://b0", {"site": "b"})
    manager = _manager({"http://b0": peer}, _local(), refresh_interval=3600)

    async def run() -> int:
        await manager.start()
        for _ in range(100):  # the background loop's first refresh: b0 online
            if manager._refreshes and manager.registry.offline == 0:
                break
            await asyncio.sleep(0.01)
        assert [str(n) for n in manager.registry.nodes] == ["http://b0"]
        peer.fail = True
        await manager.refresh()  # as /cluster/refresh: b0 offline now
        assert manager.registry.offline == 1
        peer.fail = False  # it comes back: only a quick retry can notice within the test
        for _ in range(100):
            if manager.registry.offline == 0:
                break
            await asyncio.sleep(0.02)
        await manager.stop()
        return manager.registry.offline

    assert asyncio.run(run()) == 0
    assert [str(n) for n in manager.registry.nodes] == ["http://b0"]
