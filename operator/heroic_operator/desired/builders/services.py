"""The API Service, the headless Service of a federated cluster's API pods, and the headless
Services of in-cluster Elasticsearch clusters. Pure.

Headless Elasticsearch Services (``clusterIP: None``) give every ES pod a DNS name and publish
not-ready addresses, so Heroic's client can resolve seeds early and sniff the node list. The
API pods' headless Service publishes ready pods only: its named port gives the SRV record
through which the pods of this cluster and of its peers find them (``spec.federation``).
"""

from __future__ import annotations

from typing import Any

from heroic_operator import naming
from heroic_operator.desired.builders.common import metadata
from heroic_operator.desired.render import HEROIC_PORT
from heroic_operator.spec import Cluster, ElasticsearchCluster


def build_api_service(cluster: Cluster) -> dict[str, Any]:
    """``<cluster>-heroic-api``: the query endpoint."""
    service = cluster.spec.api.service
    name = naming.api_name(cluster.name)
    meta = metadata(
        cluster,
        name,
        naming.COMPONENT_API,
        labels=service.labels,
        annotations=service.annotations,
    )
    port: dict[str, Any] = {"name": "http", "port": service.port, "targetPort": "http"}
    port["protocol"] = "TCP"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {
            "type": service.type,
            "selector": naming.selector_labels(cluster.name, naming.COMPONENT_API),
            "ports": [port],
        },
    }


def build_api_nodes_service(cluster: Cluster) -> dict[str, Any] | None:
    """``<cluster>-heroic-api-nodes``: a headless Service of the API pods, only with
    ``spec.federation``; its port ``http`` makes the SRV record
    ``_http._tcp.<service>.<namespace>.svc.<cluster domain>``."""
    if cluster.spec.federation is None:
        return None
    name = naming.api_nodes_name(cluster.name)
    port = {
        "name": naming.API_NODES_PORT,
        "port": HEROIC_PORT,
        "targetPort": "http",
        "protocol": "TCP",
    }
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(cluster, name, naming.COMPONENT_API),
        # publishNotReadyAddresses stays false (the default, which the API server does not
        # store, so it is not sent): a pod is found only once it answers queries.
        "spec": {
            "clusterIP": "None",
            "selector": naming.selector_labels(cluster.name, naming.COMPONENT_API),
            "ports": [port],
        },
    }


def build_elasticsearch_service(cluster: Cluster, es: ElasticsearchCluster) -> dict[str, Any]:
    """A headless Service selecting the Elasticsearch pods of ``es``."""
    name = naming.elasticsearch_service_name(cluster.name, es.name)
    ports = [
        {"name": "http", "port": es.http_port, "targetPort": es.http_port, "protocol": "TCP"},
        {
            "name": "transport",
            "port": es.transport_port,
            "targetPort": es.transport_port,
            "protocol": "TCP",
        },
    ]
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(cluster, name, f"es-{es.name}"),
        "spec": {
            "clusterIP": "None",
            "publishNotReadyAddresses": True,
            "selector": dict(es.selector),
            "ports": ports,
        },
    }
