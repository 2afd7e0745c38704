"""``spec.federation``: what admission refuses, the ``cluster`` section it renders into the API
pods' heroic.yml (loaded back by the workloads' own model), how the token and CA bundle reach
the pod, and the headless Service through which API pods find each other."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from heroic_core.config import HeroicConfig
from heroic_core.config.cluster import HttpProtocolConfig, SrvDiscoveryConfig
from heroic_operator import naming
from heroic_operator.desired.builders.services import build_api_nodes_service, build_api_service
from heroic_operator.desired.builders.workloads import build_deployment
from heroic_operator.desired.components import Component, components, referenced_secrets
from heroic_operator.desired.federation import NODE_TOKEN_ENV
from heroic_operator.desired.render import to_text
from heroic_operator.errors import InvalidSpec
from heroic_operator.spec import Cluster, SecretKeyRef, parse_cluster

TOKEN = {"name": "heroic-federation", "key": "token"}
OWN_RECORD = "_http._tcp.mem-heroic-api-nodes.ns.svc.cluster.local"

Federated = Callable[..., Cluster]


@pytest.fixture
def federated(manifest: Callable[[str], dict[str, Any]]) -> Federated:
    """The ``memory`` manifest (namespace ``ns``) with ``spec.federation`` fields set."""

    def make(config: dict[str, Any] | None = None, **federation: Any) -> Cluster:
        body = manifest("memory")
        body["spec"]["federation"] = {"tags": {"site": "lon"}, "tokenSecretRef": TOKEN}
        body["spec"]["federation"].update(federation)
        if config is not None:
            body["spec"]["config"] = config
        return parse_cluster(body)

    return make


def _api(cluster: Cluster) -> Component:
    return components(cluster)[0]


def _file(component: Component) -> dict[str, Any]:
    loaded = HeroicConfig.from_yaml(component.rendered.text)
    assert to_text(loaded) == component.rendered.text  # the text says all the model does
    data: dict[str, Any] = yaml.safe_load(component.rendered.text)
    return data


# --- admission ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("federation", "fragment"),
    [
        ({"tags": {}}, "spec.federation.tags"),
        ({"tokenSecretRef": None}, "spec.federation.tokenSecretRef"),
        ({"peers": [{"url": "http://a:8080", "srv": "_http._tcp.b"}]}, "exactly one of url"),
        ({"peers": [{}]}, "exactly one of url, srv and heroicCluster"),
        ({"peers": [{"url": "http://a:8080", "port": 8080}]}, "apply to srv peers only"),
        ({"peers": [{"url": "ftp://a"}]}, "spec.federation.peers.0.url"),
        ({"peers": [{"srv": "heroic.example.com"}]}, "spec.federation.peers.0.srv"),
        ({"peers": [{"heroicCluster": {"name": "Sto"}}]}, "peers.0.heroicCluster.name"),
        ({"timeout": "30 seconds"}, "spec.federation.timeout"),
        ({"topology": [{}]}, "spec.federation.topology.0"),
        ({"clusterDomain": "Cluster.Local"}, "spec.federation.clusterDomain"),
    ],
)
def test_a_bad_federation_is_refused_naming_the_field(
    manifest: Callable[[str], dict[str, Any]], federation: dict[str, Any], fragment: str
) -> None:
    body = manifest("memory")
    body["spec"]["federation"] = {"tags": {"site": "lon"}, "tokenSecretRef": TOKEN, **federation}
    body["spec"]["federation"] = {k: v for k, v in body["spec"]["federation"].items() if v}
    with pytest.raises(InvalidSpec, match="spec") as raised:
        parse_cluster(body)
    assert fragment in str(raised.value)


def test_spec_config_cluster_beside_federation_is_refused_naming_both(
    federated: Federated,
) -> None:
    with pytest.raises(InvalidSpec) as raised:
        federated(config={"cluster": {"tags": {"site": "sto"}}})
    assert "config.cluster and spec.federation" in str(raised.value)


def test_spec_config_cluster_without_federation_is_the_users(
    manifest: Callable[[str], dict[str, Any]],
) -> None:
    body = manifest("memory")
    body["spec"]["config"] = {"cluster": {"tags": {"site": "sto"}}}
    data = _file(_api(parse_cluster(body)))
    assert data["cluster"]["tags"] == {"site": "sto"}


# --- the cluster section --------------------------------------------------------------------


def test_the_api_federates_over_its_own_pods_with_the_token_from_the_environment(
    federated: Federated,
) -> None:
    component = _api(federated(topology=[{"site": "lon"}, {"site": "sto"}]))
    config = component.rendered.config.cluster
    assert config.tags == {"site": "lon"}
    assert config.use_local is True
    assert config.topology == [{"site": "lon"}, {"site": "sto"}]
    (source,) = config.discovery or []
    assert isinstance(source, SrvDiscoveryConfig)
    assert (source.records, source.protocol) == ([OWN_RECORD], "http")
    protocol = config.http_protocol()
    assert isinstance(protocol, HttpProtocolConfig)
    assert (protocol.token_env, protocol.token_file) == (NODE_TOKEN_ENV, None)


def test_settings_render_as_the_node_protocol_reads_them(federated: Federated) -> None:
    data = _file(
        _api(
            federated(
                useLocal=False,
                timeout="10s",
                connectTimeout="2s",
                maxConcurrentRequests=8,
                refreshInterval="30s",
            )
        )
    )
    cluster = data["cluster"]
    assert cluster["useLocal"] is False
    assert cluster["refreshInterval"] == "30s"
    (protocol,) = cluster["protocols"]
    assert {k: protocol[k] for k in ("timeout", "connectTimeout", "maxConcurrentRequests")} == {
        "timeout": "10s",
        "connectTimeout": "2s",
        "maxConcurrentRequests": 8,
    }
    assert "topology" not in cluster


@pytest.mark.parametrize(
    ("peers", "expected"),
    [
        (
            [
                {"heroicCluster": {"name": "sto"}},
                {"heroicCluster": {"name": "par", "namespace": "x"}},
            ],
            [
                {
                    "type": "srv",
                    "records": [
                        OWN_RECORD,
                        "_http._tcp.sto-heroic-api-nodes.ns.svc.cluster.local",
                        "_http._tcp.par-heroic-api-nodes.x.svc.cluster.local",
                    ],
                    "protocol": "http",
                }
            ],
        ),
        (
            [
                {"srv": "_heroic._tcp.ny.example.com", "protocol": "https", "port": 443},
                {"srv": "_heroic._tcp.sf.example.com", "protocol": "https", "port": 443},
                {"srv": "_heroic._tcp.la.example.com"},
            ],
            [
                {"type": "srv", "records": [OWN_RECORD], "protocol": "http"},
                {
                    "type": "srv",
                    "records": ["_heroic._tcp.ny.example.com", "_heroic._tcp.sf.example.com"],
                    "protocol": "https",
                    "port": 443,
                },
                {"type": "srv", "records": ["_heroic._tcp.la.example.com"], "protocol": "http"},
            ],
        ),
        (
            [{"url": "https://heroic.sto.example.com"}, {"url": "http://10.0.0.5:8080"}],
            [
                {"type": "srv", "records": [OWN_RECORD], "protocol": "http"},
                {
                    "type": "static",
                    "nodes": ["https://heroic.sto.example.com", "http://10.0.0.5:8080"],
                },
            ],
        ),
    ],
    ids=["heroic-clusters", "srv-records", "urls"],
)
def test_peers_join_the_own_pods_in_discovery(
    federated: Federated, peers: list[dict[str, Any]], expected: list[dict[str, Any]]
) -> None:
    discovery = _file(_api(federated(peers=peers)))["cluster"]["discovery"]
    sources = discovery if isinstance(discovery, list) else [discovery]
    for source in sources:
        source.pop("nameservers", None)  # the node's default, written back by its model
    assert sources == expected


def test_srv_records_follow_the_cluster_domain(federated: Federated) -> None:
    cluster = federated(clusterDomain="k8s.example", peers=[{"heroicCluster": {"name": "sto"}}])
    (source,) = _api(cluster).rendered.config.cluster.discovery or []
    assert isinstance(source, SrvDiscoveryConfig)
    assert source.records == [
        "_http._tcp.mem-heroic-api-nodes.ns.svc.k8s.example",
        "_http._tcp.sto-heroic-api-nodes.ns.svc.k8s.example",
    ]


def test_consumers_get_no_cluster_section(federated: Federated) -> None:
    consumers = components(federated())[1:]
    assert consumers
    for consumer in consumers:
        section = consumer.rendered.config.cluster
        assert (section.discovery, section.http_protocol(), section.tags) == (None, None, {})
        assert NODE_TOKEN_ENV not in {u.env for u in consumer.rendered.secrets}


def test_without_federation_the_api_neither_federates_nor_serves_peers(
    cluster: Callable[..., Cluster],
) -> None:
    section = _api(cluster("memory")).rendered.config.cluster
    assert (section.discovery, section.http_protocol(), section.tags) == (None, None, {})


# --- what the pod gets ----------------------------------------------------------------------


def _container(cluster: Cluster) -> dict[str, Any]:
    deployment = build_deployment(cluster, _api(cluster), config_hash="c", secrets_hash="s")
    container: dict[str, Any] = deployment["spec"]["template"]["spec"]["containers"][0]
    return container


def test_the_token_is_an_environment_variable_from_its_secret(federated: Federated) -> None:
    env = {e["name"]: e for e in _container(federated()).get("env", [])}
    assert env[NODE_TOKEN_ENV] == {
        "name": NODE_TOKEN_ENV,
        "valueFrom": {"secretKeyRef": TOKEN},
    }


def test_the_token_secret_is_hashed_into_the_pods(federated: Federated) -> None:
    assert SecretKeyRef(**TOKEN) in referenced_secrets(federated())


def test_a_ca_bundle_is_mounted_and_named_as_the_ca_file(federated: Federated) -> None:
    ca = {"name": "sites-ca", "key": "ca.crt"}
    cluster = federated(caSecretRef=ca, peers=[{"url": "https://heroic.sto.example.com"}])
    (protocol,) = _file(_api(cluster))["cluster"]["protocols"]
    mount_dir = naming.secret_mount_dir("sites-ca")
    assert protocol["caFile"] == f"{mount_dir}/ca.crt"
    mounts = {m["mountPath"] for m in _container(cluster)["volumeMounts"]}
    assert mount_dir in mounts


# --- the headless Service -------------------------------------------------------------------


def test_the_api_pods_headless_service_publishes_ready_pods_on_a_named_port(
    federated: Federated,
) -> None:
    cluster = federated()
    service = build_api_nodes_service(cluster)
    assert service is not None
    assert service["metadata"]["name"] == "mem-heroic-api-nodes"
    spec = service["spec"]
    assert spec["clusterIP"] == "None"
    assert spec.get("publishNotReadyAddresses", False) is False
    assert spec["selector"] == build_api_service(cluster)["spec"]["selector"]
    assert spec["ports"] == [
        {"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}
    ]
    assert OWN_RECORD.startswith(f"_{spec['ports'][0]['name']}._tcp.{service['metadata']['name']}.")


def test_without_federation_there_is_no_headless_service(cluster: Callable[..., Cluster]) -> None:
    assert build_api_nodes_service(cluster("memory")) is None
