"""The prometheus-operator PodMonitor scraping the Heroic pods' ``/metrics``. Pure.

One PodMonitor per cluster covers the API and every consumer group (consumers have no Service,
so a ServiceMonitor could not reach them); configure Job pods are left out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from heroic_operator import naming
from heroic_operator.desired.builders.common import metadata
from heroic_operator.spec import Cluster

POD_MONITOR_API_VERSION = "monitoring.coreos.com/v1"
POD_MONITOR_KIND = "PodMonitor"


def build_pod_monitor(cluster: Cluster, components: Sequence[str]) -> dict[str, Any] | None:
    """The PodMonitor of ``components`` (their port ``http``, path ``/metrics``), or ``None``
    when ``spec.monitoring.podMonitor.enabled`` is false."""
    spec = cluster.spec.monitoring.pod_monitor
    if not spec.enabled:
        return None
    endpoint: dict[str, Any] = {"port": "http", "path": "/metrics", "interval": spec.interval}
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
