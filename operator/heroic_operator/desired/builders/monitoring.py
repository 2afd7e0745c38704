"""The prometheus-operator PodMonitor scraping the Heroic pods' ``/metrics``. Pure.

One PodMonitor per cluster covers the API and every consumer group (consumers have no Service,
so a ServiceMonitor could not reach them); configure Job pods are left out. Every scraped series
gets ``cluster`` and ``component`` labels from the pod's labels: the operator's own metrics name
a HeroicCluster by ``namespace`` and ``cluster`` too, so one dashboard selects both alike.
prometheus-operator's own ``endpoint`` target label (the port name) is dropped, because the API
nodes' request metrics have an ``endpoint`` label (the route) that it would otherwise push aside
to ``exported_endpoint``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from heroic_operator import naming
from heroic_operator.desired.builders.common import metadata
from heroic_operator.spec import Cluster

POD_MONITOR_API_VERSION = "monitoring.coreos.com/v1"
POD_MONITOR_KIND = "PodMonitor"
#: Scraped series' label -> the pod label it is copied from.
TARGET_LABELS = {"cluster": naming.LABEL_INSTANCE, "component": naming.LABEL_COMPONENT}


def _pod_label_source(label: str) -> str:
    """The discovery label Prometheus keeps a pod label in (any other character becomes ``_``)."""
    return "__meta_kubernetes_pod_label_" + re.sub(r"[^a-zA-Z0-9_]", "_", label)


def build_pod_monitor(cluster: Cluster, components: Sequence[str]) -> dict[str, Any] | None:
    """The PodMonitor of ``components`` (their port ``http``, path ``/metrics``), or ``None``
    when ``spec.monitoring.podMonitor.enabled`` is false."""
    spec = cluster.spec.monitoring.pod_monitor
    if not spec.enabled:
        return None
    endpoint: dict[str, Any] = {"port": "http", "path": "/metrics", "interval": spec.interval}
    endpoint["relabelings"] = [
        *(
            {"sourceLabels": [_pod_label_source(pod_label)], "targetLabel": target}
            for target, pod_label in TARGET_LABELS.items()
        ),
        {"action": "labeldrop", "regex": "endpoint"},
    ]
    if spec.scrape_timeout is not None:
        endpoint["scrapeTimeout"] = spec.scrape_timeout
    selector = {
        "matchLabels": {naming.LABEL_NAME: naming.APP_NAME, naming.LABEL_INSTANCE: cluster.name},
        "matchExpressions": [
            {"key": naming.LABEL_COMPONENT, "operator": "In", "values": sorted(components)}
        ],
    }
    name = naming.fullname(cluster.name, naming.COMPONENT_MONITORING)
    return {
        "apiVersion": POD_MONITOR_API_VERSION,
        "kind": POD_MONITOR_KIND,
        "metadata": metadata(cluster, name, naming.COMPONENT_MONITORING, labels=spec.labels),
        "spec": {"selector": selector, "podMetricsEndpoints": [endpoint]},
    }
