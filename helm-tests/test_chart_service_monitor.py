"""The optional ServiceMonitor scrapes the operator's metrics Service."""

from __future__ import annotations

import jmespath
import pytest
from helm_utils import NAMESPACE, RELEASE, RenderError, one, render_chart

pytestmark = pytest.mark.helm


def test_service_monitor_selects_the_metrics_service() -> None:
    docs = render_chart({"serviceMonitor": {"enabled": True}})
    monitor = one(docs, "ServiceMonitor")
    service = one(docs, "Service")
    assert monitor["metadata"]["name"] == f"{RELEASE}-heroic-operator"
    assert jmespath.search("spec.selector.matchLabels", monitor) == service["spec"]["selector"]
    assert jmespath.search("spec.namespaceSelector.matchNames", monitor) == [NAMESPACE]
    assert jmespath.search("spec.endpoints[0].port", monitor) == "metrics"
    assert jmespath.search("spec.ports[0]", service) == {
        "name": "metrics",
        "port": 8080,
        "targetPort": "http",
        "protocol": "TCP",
    }


def test_service_monitor_keeps_the_clusters_namespace_label_of_operator_series() -> None:
    # Without honorLabels the target's namespace (the operator's) would replace it.
    monitor = one(render_chart({"serviceMonitor": {"enabled": True}}), "ServiceMonitor")
    assert jmespath.search("spec.endpoints[0].honorLabels", monitor) is True


def test_service_monitor_interval_timeout_and_labels_are_configurable() -> None:
    values = {
        "serviceMonitor": {
            "enabled": True,
            "interval": "15s",
            "scrapeTimeout": "5s",
            "labels": {"release": "prometheus"},
        }
    }
    monitor = one(render_chart(values), "ServiceMonitor")
    assert jmespath.search("spec.endpoints[0].[interval, scrapeTimeout]", monitor) == ["15s", "5s"]
    assert monitor["metadata"]["labels"]["release"] == "prometheus"


def test_service_monitor_without_metrics_fails_with_the_fix() -> None:
    values = {"serviceMonitor": {"enabled": True}, "metrics": {"enabled": False}}
    with pytest.raises(RenderError, match=r"needs metrics.enabled=true"):
        render_chart(values)
