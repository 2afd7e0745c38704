"""The API pods' heroic.yml ``cluster`` section, from ``spec.federation``.

Discovery joins three kinds of sources: the SRV record of this cluster's own API pods (its
headless Service), the SRV records of peer HeroicClusters and of ``srv`` peers, and ``url``
peers as a static list. The node-protocol token reaches the pods as an environment variable
from its Secret (``tokenEnv``), never in the file; a CA bundle for https peers as a mounted
file (``caFile``). Consumers federate nothing and get no section. Pure.
"""

from __future__ import annotations

from typing import Any

from heroic_operator import naming
from heroic_operator.desired.render import SecretUse, Section
from heroic_operator.spec import Cluster, FederationSpec, HeroicClusterPeer

#: What the API node reads its node-protocol token from.
NODE_TOKEN_ENV = "HEROIC_NODE_TOKEN"  # noqa: S105 - a variable name, not a token
#: Scheme of the API pods' own addresses and of peer HeroicClusters' (the node port is http).
IN_CLUSTER_PROTOCOL = "http"


def federation_section(cluster: Cluster) -> Section:
    """``cluster:`` of the API pods' heroic.yml (empty without ``spec.federation``)."""
    spec = cluster.spec.federation
    if spec is None:
        return Section({})
    protocol: dict[str, Any] = {
        "type": "http",
        "tokenEnv": NODE_TOKEN_ENV,
        "timeout": spec.timeout,
        "connectTimeout": spec.connect_timeout,
        "maxConcurrentRequests": spec.max_concurrent_requests,
    }
    uses = [SecretUse(spec.token_secret_ref, env=NODE_TOKEN_ENV)]
    if spec.ca_secret_ref is not None:
        ca = SecretUse(spec.ca_secret_ref)
        protocol["caFile"] = ca.path
        uses.append(ca)
    sources = discovery_sources(cluster, spec)
    section: dict[str, Any] = {
        "tags": dict(spec.tags),
        "useLocal": spec.use_local,
        "discovery": sources[0] if len(sources) == 1 else sources,
        "protocols": [protocol],
        "refreshInterval": spec.refresh_interval,
    }
    if spec.topology is not None:
        section["topology"] = [dict(shard) for shard in spec.topology]
    return Section({"cluster": section}, tuple(uses))


def own_srv_record(cluster: Cluster, spec: FederationSpec) -> str:
    """The SRV record of this cluster's ready API pods."""
    return naming.api_nodes_srv_record(cluster.name, cluster.namespace, spec.cluster_domain)


def discovery_sources(cluster: Cluster, spec: FederationSpec) -> list[dict[str, Any]]:
    """``cluster.discovery`` sources: SRV records of in-cluster API pods (this cluster's first),
    then ``srv`` peers grouped by scheme and port, then ``url`` peers."""
    in_cluster = [own_srv_record(cluster, spec)]
    by_target: dict[tuple[str, int | None], list[str]] = {}
    urls: list[str] = []
    for peer in spec.peers:
        if peer.heroic_cluster is not None:
            in_cluster.append(_peer_cluster_record(cluster, spec, peer.heroic_cluster))
        elif peer.srv is not None:
            key = (peer.protocol or IN_CLUSTER_PROTOCOL, peer.port)
            by_target.setdefault(key, []).append(peer.srv)
        elif peer.url is not None:
            urls.append(peer.url)
    sources = [_srv(in_cluster, IN_CLUSTER_PROTOCOL, None)]
    sources += [_srv(records, scheme, port) for (scheme, port), records in by_target.items()]
    if urls:
        sources.append({"type": "static", "nodes": list(dict.fromkeys(urls))})
    return sources


def _peer_cluster_record(cluster: Cluster, spec: FederationSpec, ref: HeroicClusterPeer) -> str:
    namespace = ref.namespace or cluster.namespace
    return naming.api_nodes_srv_record(ref.name, namespace, spec.cluster_domain)


def _srv(records: list[str], scheme: str, port: int | None) -> dict[str, Any]:
    source: dict[str, Any] = {"type": "srv", "records": list(dict.fromkeys(records))}
    source["protocol"] = scheme
    if port is not None:
        source["port"] = port
    return source
