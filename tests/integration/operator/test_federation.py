"""Federated HeroicClusters on the real control plane: the rendered ``cluster`` section, the API
pods' headless Service and the SRV records a real cluster DNS (the test environment's CoreDNS
build, its ``kubernetes`` plugin reading this API server) serves for it, resolved by the API
node's own discovery code; ``status.federation`` when the API cannot be read (kwok's pods answer
nothing) without touching Ready; pruning when federation is turned off; admission errors."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.asyncresolver
import dns.nameserver
import pytest
import yaml
from kubernetes.dynamic import DynamicClient

from heroic_api.cluster.discovery import SrvDiscovery
from heroic_core.config import HeroicConfig
from heroic_core.config.cluster import SrvDiscoveryConfig, StaticDiscoveryConfig
from heroic_operator import naming
from heroic_operator.process.app import Operator, OperatorConfig
from heroic_testenv.builds import artifact
from heroic_testenv.procs import ComponentError, free_port
from tests.integration.operator.support import (
    apply_cluster,
    apply_object,
    condition,
    delete_object,
    exists,
    get_cluster,
    get_object,
    list_kind,
    manifest,
    patch_spec,
    reconcile_now,
    running_operator,
    wait_condition,
    wait_for,
)

pytestmark = pytest.mark.kubernetes

TOKEN = {"name": "heroic-federation", "key": "token"}
STATIC_PEER = "https://heroic.par.example.com"


@pytest.fixture(scope="module")
def operator(namespace: str) -> Iterator[Operator]:
    """The operator reading federated clusters' /cluster/status every second."""
    config = OperatorConfig(
        namespaces=[namespace],
        kubeconfig=os.environ["KUBECONFIG"],
        port=0,
        resync_seconds=60,
        federation_status_seconds=1,
    )
    with running_operator(config) as running:
        yield running


@pytest.fixture(scope="module")
def sites(client: DynamicClient, namespace: str, operator: Operator) -> dict[str, dict[str, Any]]:
    """Two federated clusters, ``lon`` (peers: ``sto`` by reference, a static URL) and ``sto``
    (peer: ``lon``), Ready."""
    apply_object(
        client,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": TOKEN["name"], "namespace": namespace},
            "stringData": {TOKEN["key"]: "s3cret-node-token"},
        },
    )
    peers = {
        "lon": [{"heroicCluster": {"name": "sto"}}, {"url": STATIC_PEER}],
        "sto": [{"heroicCluster": {"name": "lon", "namespace": namespace}}],
    }
    bodies = {}
    for site, site_peers in peers.items():
        federation = {"tags": {"site": site}, "tokenSecretRef": TOKEN, "peers": site_peers}
        bodies[site] = manifest("memory", site, consumers=[], federation=federation)
        apply_cluster(client, namespace, bodies[site])
    for site in peers:
        wait_condition(client, namespace, site, timeout=90)
    return bodies


def _api_config(client: DynamicClient, namespace: str, cluster: str) -> HeroicConfig:
    config_map = get_object(client, "v1", "ConfigMap", naming.config_map_name(cluster), namespace)
    return HeroicConfig.from_yaml(config_map.data["api.yml"])


def test_the_api_config_federates_over_own_pods_and_peers(
    client: DynamicClient, namespace: str, sites: dict[str, Any]
) -> None:
    cluster = _api_config(client, namespace, "lon").cluster
    assert cluster.tags == {"site": "lon"}
    srv, static = cluster.discovery or []
    assert isinstance(srv, SrvDiscoveryConfig)
    assert isinstance(static, StaticDiscoveryConfig)
    assert srv.records == [
        f"_http._tcp.lon-heroic-api-nodes.{namespace}.svc.cluster.local",
        f"_http._tcp.sto-heroic-api-nodes.{namespace}.svc.cluster.local",
    ]
    assert static.nodes == [STATIC_PEER]
    protocol = cluster.http_protocol()
    assert protocol is not None
    assert protocol.token_env == "HEROIC_NODE_TOKEN"
    deployment = get_object(client, "apps/v1", "Deployment", naming.api_name("lon"), namespace)
    env = {
        e["name"]: e
        for e in deployment.to_dict()["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["HEROIC_NODE_TOKEN"]["valueFrom"] == {"secretKeyRef": TOKEN}


def test_the_headless_service_lists_the_ready_api_pods(
    client: DynamicClient, namespace: str, sites: dict[str, Any]
) -> None:
    name = naming.api_nodes_name("lon")
    service = get_object(client, "v1", "Service", name, namespace).to_dict()
    spec = service["spec"]
    assert spec["clusterIP"] == "None"
    assert not spec.get("publishNotReadyAddresses")
    assert [(p["name"], p["port"]) for p in spec["ports"]] == [("http", 8080)]
    owner = service["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"], owner["controller"]) == ("HeroicCluster", "lon", True)
    pod_ips = _api_pod_ips(client, namespace, "lon")
    assert len(pod_ips) == 2

    def listed() -> set[str] | None:
        slices = list_kind(
            client, "discovery.k8s.io/v1", "EndpointSlice", namespace,
            labels={"kubernetes.io/service-name": name},
        )  # fmt: skip
        ready = {
            address
            for s in slices
            for e in s.to_dict().get("endpoints") or []
            if (e.get("conditions") or {}).get("ready")
            for address in e["addresses"]
        }
        return ready if ready == pod_ips else None

    wait_for("the API pods in the headless Service's EndpointSlices", listed)


def _api_pod_ips(client: DynamicClient, namespace: str, cluster: str) -> set[str]:
    selector = naming.selector_labels(cluster, naming.COMPONENT_API)
    pods = list_kind(client, "v1", "Pod", namespace, labels=selector)
    return {p.status.podIP for p in pods if p.status.podIP and not p.metadata.deletionTimestamp}


@pytest.fixture(scope="module")
def cluster_dns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """The port of a cluster DNS (CoreDNS, ``kubernetes`` plugin) for this API server."""
    try:
        binary = artifact("coredns") / "bin" / "coredns"
    except ComponentError as exc:
        pytest.skip(f"the test environment's CoreDNS cannot be built here: {exc}")
    tmp = tmp_path_factory.mktemp("cluster-dns")
    port = free_port()
    corefile = tmp / "Corefile"
    corefile.write_text(
        f".:{port} {{\n    bind 127.0.0.1\n    errors\n"
        f"    kubernetes cluster.local {{\n        kubeconfig {os.environ['KUBECONFIG']}\n"
        f"        ttl 1\n    }}\n}}\n"
    )
    log = tmp / "coredns.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "-conf", str(corefile)], cwd=tmp, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_dns(port, process, log)
        yield port
    finally:
        process.terminate()
        process.wait(30)


def _wait_for_dns(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    resolver = dns.asyncresolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver("127.0.0.1", port)]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            asyncio.run(resolver.resolve("kubernetes.default.svc.cluster.local", "A", lifetime=1))
            return
        except Exception:  # noqa: BLE001 - not answering yet (or still syncing the API)
            time.sleep(0.3)
    raise AssertionError(log.read_text())


def test_the_rendered_srv_records_resolve_to_every_api_pod_of_both_sites(
    client: DynamicClient, namespace: str, sites: dict[str, Any], cluster_dns: int
) -> None:
    srv, _ = _api_config(client, namespace, "lon").cluster.discovery or []
    assert isinstance(srv, SrvDiscoveryConfig)
    # the API node's own discovery, asking the cluster DNS as a pod's resolver would
    asked = srv.model_copy(update={"nameservers": [f"127.0.0.1:{cluster_dns}"]})
    discovery = SrvDiscovery(asked)
    lon, sto = (_api_pod_ips(client, namespace, c) for c in ("lon", "sto"))
    service = {c: f"{naming.api_nodes_name(c)}.{namespace}.svc.cluster.local" for c in sites}
    expected = {
        f"http://{ip.replace('.', '-')}.{service[c]}:8080"
        for c, ips in (("lon", lon), ("sto", sto))
        for ip in ips
    }

    def found() -> set[str] | None:
        addresses = set(asyncio.run(discovery.find()))
        return addresses if addresses == expected else None

    wait_for(f"SRV targets {sorted(expected)}", found, timeout=30)
    assert len(expected) == 4


def test_an_unreachable_api_is_reported_without_touching_ready(
    client: DynamicClient, namespace: str, sites: dict[str, Any], operator: Operator
) -> None:
    def reported() -> dict[str, Any] | None:
        federation = (get_cluster(client, namespace, "lon").get("status") or {}).get("federation")
        asked = federation and "no API pod" not in federation.get("error", "no API pod")
        return federation if asked else None

    # (a read before the pods were Ready says so without asking)
    federation = wait_for("status.federation of a read that failed", reported, timeout=60)
    assert federation["summary"] == "unknown"
    assert "cannot read /cluster/status of Service lon-heroic-api" in federation["error"]
    assert "forbidden" not in federation["error"].lower()
    assert "shards" not in federation
    first = federation["lastChecked"]
    wait_for(
        "a later read",
        lambda: (
            get_cluster(client, namespace, "lon")["status"]["federation"]["lastChecked"] != first
        ),
        timeout=30,
    )
    assert condition(client, namespace, "lon", "Ready")["status"] == "True"
    out = subprocess.run(
        [os.environ["KUBECTL"], "get", "heroicclusters.heroic.dev", "lon", "-n", namespace],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    header = out[0].split()
    assert header[header.index("SHARDS")] == "SHARDS"
    assert out[1].split()[header.index("SHARDS")] == "unknown"


def test_between_reads_a_federated_cluster_writes_only_its_status(
    client: DynamicClient, namespace: str, sites: dict[str, Any], operator: Operator
) -> None:
    assert operator.reconciler is not None
    applier = operator.reconciler.applier
    before = Counter(applier.writes)
    labels = {"app.kubernetes.io/instance": "sto"}
    versions = {
        (kind, o.metadata.name): o.metadata.resourceVersion
        for api_version, kind in (("v1", "Service"), ("v1", "ConfigMap"), ("apps/v1", "Deployment"))
        for o in list_kind(client, api_version, kind, namespace, labels=labels)
    }
    reconcile_now(operator, namespace, "sto", times=3)
    after = {
        (kind, o.metadata.name): o.metadata.resourceVersion
        for api_version, kind in (("v1", "Service"), ("v1", "ConfigMap"), ("apps/v1", "Deployment"))
        for o in list_kind(client, api_version, kind, namespace, labels=labels)
    }
    assert after == versions
    written = Counter(applier.writes) - before
    assert set(written) <= {f"status {naming.KIND}"}, written


def test_turning_federation_off_prunes_the_headless_service_and_the_status(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    federation = {"tags": {"site": "ams"}, "tokenSecretRef": TOKEN}
    apply_cluster(client, namespace, manifest("memory", "ams", consumers=[], federation=federation))
    wait_condition(client, namespace, "ams", timeout=90)
    name = naming.api_nodes_name("ams")
    assert exists(client, "v1", "Service", name, namespace)
    wait_for(
        "status.federation",
        lambda: (get_cluster(client, namespace, "ams").get("status") or {}).get("federation"),
    )
    patch_spec(client, namespace, "ams", {"federation": None})
    wait_for(
        "the headless Service pruned", lambda: not exists(client, "v1", "Service", name, namespace)
    )
    assert exists(client, "v1", "Service", naming.api_name("ams"), namespace)
    wait_for(
        "status.federation dropped",
        lambda: "federation" not in (get_cluster(client, namespace, "ams").get("status") or {}),
    )
    assert _api_config(client, namespace, "ams").cluster.discovery is None


def test_deleting_a_federated_cluster_collects_its_headless_service(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    federation = {"tags": {"site": "osl"}, "tokenSecretRef": TOKEN}
    apply_cluster(client, namespace, manifest("memory", "osl", consumers=[], federation=federation))
    name = naming.api_nodes_name("osl")
    wait_for("the headless Service", lambda: exists(client, "v1", "Service", name, namespace))
    delete_object(client, naming.API_VERSION, naming.KIND, "osl", namespace)
    wait_for(
        "the headless Service garbage-collected",
        lambda: not exists(client, "v1", "Service", name, namespace),
        timeout=60,
    )


def test_spec_config_cluster_beside_federation_is_refused_naming_both(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    federation = {"tags": {"site": "mad"}, "tokenSecretRef": TOKEN}
    body = manifest(
        "memory",
        "mad",
        consumers=[],
        federation=federation,
        config={"cluster": {"useLocal": False}},
    )
    apply_cluster(client, namespace, body)
    ready = wait_condition(client, namespace, "mad", status="False", reason="InvalidSpec")
    assert "config.cluster and spec.federation" in ready["message"]
    assert not exists(client, "v1", "Service", naming.api_nodes_name("mad"), namespace)
    text = yaml.safe_dump(get_cluster(client, namespace, "mad")["status"])
    assert "federation:" not in text
