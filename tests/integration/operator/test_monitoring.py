"""spec.monitoring.podMonitor against the real control plane and prometheus-operator's real
PodMonitor CRD (fetched by the test environment from the Go module proxy): without the CRD the
cluster says so and everything else is reconciled; with it the PodMonitor is created, follows
the spec, and is pruned when disabled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from heroic_operator.process.app import Operator
from heroic_testenv.builds import artifact
from tests.integration.operator.support import (
    CRD_API_VERSION,
    api_message,
    apply_cluster,
    apply_crd,
    delete_object,
    exists,
    get_object,
    manifest,
    patch_spec,
    reconcile_now,
    wait_condition,
    wait_for,
)

pytestmark = pytest.mark.kubernetes

CRD_NAME = "podmonitors.monitoring.coreos.com"
POD_MONITOR_API_VERSION = "monitoring.coreos.com/v1"
NAME = "monitored"
MONITOR = f"{NAME}-heroic-monitoring"


def crd_installed(client: DynamicClient) -> bool:
    try:
        crd = get_object(client, CRD_API_VERSION, "CustomResourceDefinition", CRD_NAME)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    conditions = (crd.status.conditions if crd.status else None) or []
    return any(c.type == "Established" and c.status == "True" for c in conditions)


@pytest.fixture(scope="module")
def crd_body() -> dict[str, Any]:
    path = artifact("monitoring-crds") / "crds" / "monitoring.coreos.com_podmonitors.yaml"
    body: dict[str, Any] = yaml.safe_load(path.read_text())
    assert body["metadata"]["name"] == CRD_NAME
    return body


@pytest.fixture
def podmonitor_crd(client: DynamicClient, crd_body: dict[str, Any]) -> Iterator[bool]:
    """Yields whether the CRD was absent before (then this test installs and removes it)."""
    absent = not crd_installed(client)
    yield absent
    if absent and crd_installed(client):
        delete_object(client, CRD_API_VERSION, "CustomResourceDefinition", CRD_NAME)


def pod_monitor(client: DynamicClient, namespace: str) -> dict[str, Any] | None:
    try:
        obj = get_object(client, POD_MONITOR_API_VERSION, "PodMonitor", MONITOR, namespace)
    except ResourceNotFoundError:  # discovery does not know the kind (yet): no such object
        return None
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise
    return obj.to_dict()  # type: ignore[no-any-return]


def test_pod_monitor_follows_the_spec_and_waits_for_its_crd(
    client: DynamicClient,
    namespace: str,
    operator: Operator,
    crd_body: dict[str, Any],
    podmonitor_crd: bool,
) -> None:
    monitoring = {"podMonitor": {"enabled": True, "labels": {"release": "prometheus"}}}
    apply_cluster(client, namespace, manifest("memory", NAME, monitoring=monitoring))
    if podmonitor_crd:
        cond = wait_condition(
            client, namespace, NAME, "Reconciled", status="False", reason="PodMonitorUnavailable"
        )
        assert "is not installed in this cluster" in cond["message"]
        assert exists(client, "apps/v1", "Deployment", f"{NAME}-heroic-api", namespace)
        apply_crd(client, crd_body)
        wait_for("PodMonitor CRD Established", lambda: crd_installed(client))
        reconcile_now(operator, namespace, NAME)

    monitor = wait_for("the PodMonitor", lambda: pod_monitor(client, namespace))
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert monitor["metadata"]["ownerReferences"][0]["kind"] == "HeroicCluster"
    selector = monitor["spec"]["selector"]
    assert selector["matchLabels"] == {
        "app.kubernetes.io/name": "heroic",
        "app.kubernetes.io/instance": NAME,
    }
    assert selector["matchExpressions"][0]["values"] == ["api", "consumer-main"]
    endpoint = monitor["spec"]["podMetricsEndpoints"][0]
    assert {k: endpoint[k] for k in ("port", "path", "interval")} == {
        "port": "http",
        "path": "/metrics",
        "interval": "30s",
    }
    assert "scrapeTimeout" not in endpoint
    assert [r.get("targetLabel") for r in endpoint["relabelings"]] == ["cluster", "component", None]
    assert endpoint["relabelings"][2] == {"action": "labeldrop", "regex": "endpoint"}
    wait_condition(client, namespace, NAME, "Reconciled", reason="ReconcileSucceeded")

    patch_spec(client, namespace, NAME, {"monitoring": {"podMonitor": {"interval": "15s"}}})

    def interval() -> str | None:
        endpoints = ((pod_monitor(client, namespace) or {}).get("spec") or {}).get(
            "podMetricsEndpoints"
        )
        return str(endpoints[0].get("interval")) if endpoints else None

    wait_for("the new scrape interval", lambda: interval() == "15s")

    patch_spec(client, namespace, NAME, {"monitoring": {"podMonitor": {"enabled": False}}})
    wait_for("the PodMonitor pruned", lambda: pod_monitor(client, namespace) is None)
    assert exists(client, "apps/v1", "Deployment", f"{NAME}-heroic-api", namespace)


def test_a_scrape_timeout_longer_than_the_interval_is_rejected(
    client: DynamicClient, namespace: str
) -> None:
    monitoring = {"podMonitor": {"enabled": True, "interval": "10s", "scrapeTimeout": "1m"}}
    with pytest.raises(ApiException) as raised:
        apply_cluster(client, namespace, manifest("memory", "badtimeout", monitoring=monitoring))
    message = api_message(raised.value)
    assert "spec.monitoring.podMonitor.scrapeTimeout" in message
    assert "scrapeTimeout must not be longer than interval" in message
