"""Federation across three sites of real ``heroic api`` processes: ``a`` and ``c`` on memory
backends, ``b`` two nodes sharing the test environment's Cassandra (and each its own copy of
the metadata). Every node federates over one static list.

The same query through any site answers every site's series with their shard tags, equal to
the union of each site asked alone; metadata and suggest calls reduce as upstream's; a
distributed aggregation reduces across sites; a node of the two-node shard stopped costs
nothing, a site stopped costs its series and one ``shard`` error, a paused site is cut off at
the timeout.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.backends.test_metric_contract import drop_keyspace
from tests.integration.cluster.support import (
    MINUTE,
    RANGE,
    START,
    Node,
    Site,
    cassandra_backends,
    free_port,
    http_protocol,
    memory_backends,
    series_of,
    start_all,
    token_file,
    wait_for_shards,
    write_config,
)

pytestmark = pytest.mark.cassandra

FEDERATED = {"x-heroic-federated": "test"}  # what a peer sends: answer from your shard only
QUERY = {"range": RANGE, "filter": ["key", "requests"]}


def _points(base: float) -> list[list[float]]:
    return [[START + i * MINUTE, base + i] for i in range(1, 11)]


def _build(
    tmp: Path, keyspace: str, *, timeout: str = "20s", b_nodes: int = 2
) -> tuple[list[Site], list[Node]]:
    token = token_file(tmp)
    layout = [("a", 1, memory_backends()), ("b", b_nodes, cassandra_backends(keyspace)),
              ("c", 1, memory_backends())]  # fmt: skip
    nodes: list[Node] = []
    sites: list[Site] = []
    ports = {f"{name}{i}": free_port() for name, count, _ in layout for i in range(count)}
    static = [f"http://127.0.0.1:{port}" for port in ports.values()]
    cluster = {
        "discovery": {"type": "static", "nodes": static},
        "protocols": [http_protocol(token, timeout=timeout, connectTimeout="2s")],
        "refreshInterval": "1h",  # refreshed by the tests, when they say
        "topology": [{"site": "a"}, {"site": "b"}, {"site": "c"}],
    }
    for name, count, backends in layout:
        site = Site({"site": name})
        for i in range(count):
            node_name = f"{name}{i}"
            config = write_config(tmp / f"{node_name}.yml", site.tags, backends, cluster)
            site.nodes.append(Node(node_name, ports[node_name], config, tmp / f"{node_name}.log"))
        sites.append(site)
        nodes += site.nodes
    start_all(nodes)
    for i, site in enumerate(sites):
        name = site.tags["site"]
        site.write("requests", {"host": f"{name}-1", "role": "web"}, _points(100 * i))
        site.write("requests", {"host": f"{name}-2", "role": "db"}, _points(100 * i + 50))
        site.write("errors", {"host": f"{name}-1"}, _points(0))
    for node in nodes:
        wait_for_shards(node, 3)
    return sites, nodes


@pytest.fixture(scope="module")
def keyspace() -> Iterator[str]:
    name = f"federation_{uuid.uuid4().hex[:8]}"
    yield name
    drop_keyspace(name)


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, keyspace: str
) -> Iterator[tuple[list[Site], list[Node]]]:
    sites, nodes = _build(tmp_path_factory.mktemp("federation"), keyspace)
    try:
        yield sites, nodes
    finally:
        for node in nodes:
            node.stop()


def test_the_same_query_through_any_site_answers_every_sites_series(
    cluster: tuple[list[Site], list[Node]],
) -> None:
    sites, _ = cluster
    alone = sorted(
        row
        for site in sites
        for row in series_of(site.nodes[0].post("/query/metrics", QUERY, **FEDERATED).json())
    )
    assert {row[0][0][1] for row in alone} == {"a", "b", "c"}
    assert len(alone) == 6
    for site in sites:
        for node in site.nodes:
            response = node.post("/query/metrics", QUERY)
            assert response.status_code == 200, response.text
            answer = response.json()
            assert answer["errors"] == []
            assert series_of(answer) == alone
            assert answer["commonTags"] == {
                "host": ["a-1", "a-2", "b-1", "b-2", "c-1", "c-2"],
                "role": ["db", "web"],
            }


def test_a_peer_request_is_answered_from_the_peers_shard_only(
    cluster: tuple[list[Site], list[Node]],
) -> None:
    sites, _ = cluster
    answer = sites[0].nodes[0].post("/query/metrics", QUERY, **FEDERATED).json()
    assert {g["shard"]["site"] for g in answer["result"]} == {"a"}


def test_batches_fan_out_too(cluster: tuple[list[Site], list[Node]]) -> None:
    sites, _ = cluster
    body = {"queries": {"all": QUERY, "errors": {**QUERY, "filter": ["key", "errors"]}}}
    response = sites[2].nodes[0].post("/query/batch", body)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results["all"]["result"]) == 6
    assert sorted(g["shard"]["site"] for g in results["errors"]["result"]) == ["a", "b", "c"]


def test_metadata_is_the_union_of_every_site(cluster: tuple[list[Site], list[Node]]) -> None:
    sites, _ = cluster
    node = sites[0].nodes[0]
    series = node.post("/metadata/series", {"filter": ["key", "requests"], "limit": 4}).json()
    assert series["errors"] == []
    assert (len(series["series"]), series["limited"]) == (4, True)
    count = node.post("/metadata/series-count", {"filter": ["true"]}).json()
    assert (count["count"], count["errors"]) == (9, [])
    keys = node.post("/metadata/keys", {}).json()
    assert sorted(keys["keys"]) == ["errors", "requests"]


def test_suggest_reduces_with_limits_and_limited_flags(
    cluster: tuple[list[Site], list[Node]],
) -> None:
    sites, _ = cluster
    node = sites[1].nodes[1]
    values = node.post("/metadata/tag-value-suggest", {"key": "host", "limit": 4}).json()
    assert (values["values"], values["limited"]) == (["a-1", "a-2", "b-1", "b-2"], True)
    every = node.post("/metadata/tag-value-suggest", {"key": "host", "limit": 10}).json()
    assert (len(every["values"]), every["limited"]) == (6, False)
    keys = node.post("/metadata/key-suggest", {"key": "req", "limit": 5}).json()
    assert [s["key"] for s in keys["suggestions"]] == ["requests"]
    counts = node.post("/metadata/tagkey-count", {"limit": 10}).json()
    # counts add up over shards (upstream): two roles in each of three sites
    assert {s["key"]: s["count"] for s in counts["suggestions"]} == {"host": 6, "role": 6}


def test_distributed_aggregation_reduces_across_sites(
    cluster: tuple[list[Site], list[Node]],
) -> None:
    sites, _ = cluster
    average = {"type": "group", "of": ["role"], "each": {"type": "average", "size": "1m"}}
    body = {**QUERY, "aggregation": average}
    plain = sites[0].nodes[0].post("/query/metrics", body).json()
    distributed = (
        sites[0]
        .nodes[0]
        .post(
            "/query/metrics", {**body, "features": ["com.spotify.heroic.distributed_aggregations"]}
        )
        .json()
    )
    assert distributed["errors"] == []
    # without the feature: one group per role and site; with it: one per role, across sites
    assert len(plain["result"]) == 6
    assert {(g["tags"]["role"], tuple(g["shard"].items())) for g in distributed["result"]} == {
        ("web", ()),
        ("db", ()),
    }
    web = next(g for g in distributed["result"] if g["tags"]["role"] == "web")
    # web: 1, 101 and 201 at the first minute: the mean over the three sites
    assert web["values"][0] == [START + MINUTE, pytest.approx(101.0)]


def _fresh(tmp_path: Path, keyspace: str, **kwargs: Any) -> tuple[list[Site], list[Node]]:
    return _build(tmp_path, keyspace, **kwargs)


def test_a_stopped_node_of_a_two_node_shard_costs_nothing(tmp_path: Path, keyspace: str) -> None:
    sites, nodes = _fresh(tmp_path, keyspace)
    try:
        sites[1].nodes[0].stop()  # b0; b1 still serves site b, and the registry still has b0
        for _ in range(6):  # the node of a shard is picked at random: try both orders
            answer = sites[0].nodes[0].post("/query/metrics", QUERY).json()
            assert answer["errors"] == []
            assert len(answer["result"]) == 6
    finally:
        for node in nodes:
            node.stop()


def test_a_stopped_site_costs_its_series_and_one_shard_error(tmp_path: Path, keyspace: str) -> None:
    sites, nodes = _fresh(tmp_path, keyspace, b_nodes=1)
    try:
        stopped = sites[2].nodes[0]
        stopped.stop()
        response = sites[0].nodes[0].post("/query/metrics", QUERY)
        assert response.status_code == 200
        answer = response.json()
        assert {g["shard"]["site"] for g in answer["result"]} == {"a", "b"}
        [error] = answer["errors"]
        assert (error["type"], error["shard"], error["nodes"]) == (
            "shard", {"site": "c"}, [stopped.url],
        )  # fmt: skip
        # once the refresh drops it, the expected topology still names the missing site
        wait_for_shards(sites[0].nodes[0], 2)
        again = sites[0].nodes[0].post("/query/metrics", QUERY).json()
        assert [(e["shard"], e["nodes"]) for e in again["errors"]] == [({"site": "c"}, [])]
        assert again["errors"][0]["error"] == "No groups available"
        metadata = sites[1].nodes[0].post("/metadata/series", {}).json()
        assert [e["shard"] for e in metadata["errors"]] == [{"site": "c"}]
        assert {s["tags"]["host"][0] for s in metadata["series"]} == {"a", "b"}
    finally:
        for node in nodes:
            node.stop()


def test_a_slow_site_is_cut_off_at_its_timeout(tmp_path: Path, keyspace: str) -> None:
    sites, nodes = _fresh(tmp_path, keyspace, timeout="2s", b_nodes=1)
    try:
        sites[2].nodes[0].pause()  # SIGSTOP: connections are accepted, nothing answers
        answer = sites[0].nodes[0].post("/query/metrics", QUERY).json()
        assert {g["shard"]["site"] for g in answer["result"]} == {"a", "b"}
        [error] = answer["errors"]
        assert error["shard"] == {"site": "c"}
        assert "timed out" in error["error"]
    finally:
        for node in nodes:
            node.stop()
