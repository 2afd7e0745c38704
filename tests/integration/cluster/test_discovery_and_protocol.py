"""Discovery by DNS SRV records served by a real DNS server (the test environment's CoreDNS
build, its ``template`` plugin answering the records), the ``/cluster/*`` admin endpoints, and
the node protocol's token check, on real ``heroic api`` processes."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.asyncresolver
import dns.nameserver
import httpx
import pytest

from heroic_testenv.builds import artifact
from heroic_testenv.procs import ComponentError
from tests.integration.cluster.support import (
    RANGE,
    START,
    TOKEN,
    Node,
    Site,
    free_port,
    http_protocol,
    memory_backends,
    series_of,
    start_all,
    token_file,
    wait_for_shards,
    write_config,
)

RECORD = "_heroic._tcp.fed.test"
QUERY = {"range": RANGE, "filter": ["key", "requests"]}
POINTS = [[START + 60_000, 1.0]]


@pytest.fixture(scope="module")
def coredns_binary() -> Path:
    try:
        return artifact("coredns") / "bin" / "coredns"
    except ComponentError as exc:
        pytest.skip(f"the test environment's CoreDNS cannot be built here: {exc}")


def _corefile(port: int, targets: list[int]) -> str:
    answers = "\n".join(
        f'        answer "{{{{ .Name }}}} 5 IN SRV 10 10 {p} localhost."' for p in targets
    )
    return (
        f".:{port} {{\n    bind 127.0.0.1\n"
        f"    template IN SRV fed.test {{\n"
        f'        match "^_heroic\\._tcp\\.fed\\.test\\.$"\n{answers}\n'
        f"    }}\n}}\n"
    )


def _wait_for_dns(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
    import asyncio  # noqa: PLC0415 - only this readiness poll runs a loop

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            asyncio.run(resolver.resolve(RECORD, "SRV", lifetime=1))
            return
        except Exception:  # noqa: BLE001 - not answering yet
            time.sleep(0.2)
    raise AssertionError(log.read_text())


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory, coredns_binary: Path) -> Iterator[list[Site]]:
    tmp = tmp_path_factory.mktemp("discovery")
    token = token_file(tmp)
    dns_port, a_port, b_port, c_port = (free_port() for _ in range(4))
    (tmp / "Corefile").write_text(_corefile(dns_port, [a_port, b_port]))
    dns_log = tmp / "coredns.log"
    with dns_log.open("wb") as log:
        coredns = subprocess.Popen([str(coredns_binary), "-conf", str(tmp / "Corefile")],
                                   cwd=tmp, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
    nodes: list[Node] = []
    try:
        _wait_for_dns(dns_port, coredns, dns_log)
        srv = {"type": "srv", "records": [RECORD], "nameservers": [f"127.0.0.1:{dns_port}"]}
        federating = {"discovery": srv, "protocols": [http_protocol(token)],
                      "refreshInterval": "1h"}  # fmt: skip
        serving = {"protocols": [http_protocol(token)]}  # answers peers, does not federate
        layout: list[tuple[str, int, dict[str, Any]]] = [
            ("a", a_port, federating), ("b", b_port, serving), ("c", c_port, {}),
        ]  # fmt: skip
        sites = []
        for name, port, cluster in layout:
            config = write_config(tmp / f"{name}.yml", {"site": name}, memory_backends(), cluster)
            node = Node(name, port, config, tmp / f"{name}.log")
            sites.append(Site({"site": name}, [node]))
            nodes.append(node)
        start_all(nodes)
        for site in sites:
            site.write("requests", {"host": site.tags["site"]}, POINTS)
        yield sites
    finally:
        for node in nodes:
            node.stop()
        coredns.terminate()
        coredns.wait(30)


def test_srv_records_find_the_sites(sites: list[Site]) -> None:
    a = sites[0].nodes[0]
    status = wait_for_shards(a, 2)
    assert sorted(n["node"] for n in status["nodes"]) == sorted(
        ["local", f"http://localhost:{sites[1].nodes[0].port}"]
    )
    answer = a.post("/query/metrics", QUERY).json()
    assert answer["errors"] == []
    assert [row[0] for row in series_of(answer)] == [[("site", "a")], [("site", "b")]]


def test_static_nodes_are_added_and_removed_at_run_time(sites: list[Site]) -> None:
    a, c = sites[0].nodes[0], sites[2].nodes[0]
    added = httpx.post(f"{a.url}/cluster/nodes", json=c.url, timeout=30)
    assert added.json() == {"data": True}
    assert httpx.get(f"{a.url}/cluster/nodes").json() == {"data": [c.url]}
    # c has no node-protocol token: it refuses a's requests, so it is offline, not a shard
    status = httpx.get(f"{a.url}/cluster/status").json()
    assert status["statistics"]["offlineNodes"] == 1
    assert httpx.get(f"{a.url}/status").json()["cluster"]["offlineNodes"] == 1
    httpx.request("DELETE", f"{a.url}/cluster/nodes", json=c.url, timeout=30)
    assert httpx.get(f"{a.url}/cluster/nodes").json() == {"data": []}
    assert httpx.get(f"{a.url}/cluster/status").json()["statistics"]["offlineNodes"] == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"authorization": "Bearer wrong"}, 401),
        ({"authorization": f"Basic {TOKEN}"}, 401),
        ({"authorization": f"Bearer {TOKEN}"}, 200),
    ],
)
def test_the_node_protocol_needs_the_token(
    sites: list[Site], headers: dict[str, str], status: int
) -> None:
    b = sites[1].nodes[0]
    assert httpx.get(f"{b.url}/internal/v1/metadata", headers=headers).status_code == status
    body: dict[str, Any] = {"request": {}, "group": None}
    answer = httpx.post(f"{b.url}/internal/v1/metadata/series", json=body, headers=headers)
    assert answer.status_code == status


def test_a_node_without_a_token_has_the_node_protocol_off(sites: list[Site]) -> None:
    c = sites[2].nodes[0]
    answer = httpx.get(
        f"{c.url}/internal/v1/metadata", headers={"authorization": f"Bearer {TOKEN}"}
    )
    assert answer.status_code == 403
    assert "node protocol is off" in answer.json()["message"]
