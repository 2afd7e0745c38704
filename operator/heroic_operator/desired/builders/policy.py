"""ServiceAccounts, PodDisruptionBudgets and HorizontalPodAutoscalers of the tiers. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from heroic_operator import naming
from heroic_operator.desired.builders.common import metadata
from heroic_operator.spec import Cluster, Tier


def build_service_account(
    cluster: Cluster, name: str, component: str, annotations: Mapping[str, str]
) -> dict[str, Any]:
    """A ServiceAccount without an API token (Heroic never calls the Kubernetes API)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata(cluster, name, component, annotations=annotations),
        "automountServiceAccountToken": False,
    }


def build_pdb(cluster: Cluster, component: str, tier: Tier) -> dict[str, Any] | None:
    """At most ``maxUnavailable`` (default 1) pods of the tier disrupted; ``None`` if disabled."""
    budget = tier.disruption_budget
    if not budget.enabled:
        return None
    spec: dict[str, Any] = {
        "selector": {"matchLabels": naming.selector_labels(cluster.name, component)},
    }
    if budget.min_available is not None:
        spec["minAvailable"] = budget.min_available
    else:
        spec["maxUnavailable"] = 1 if budget.max_unavailable is None else budget.max_unavailable
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(cluster, naming.fullname(cluster.name, component), component),
        "spec": spec,
    }


def build_hpa(cluster: Cluster, component: str, tier: Tier) -> dict[str, Any] | None:
    """A CPU-based HPA scaling the tier's Deployment; ``None`` without ``autoscaling``."""
    scaling = tier.autoscaling
    if scaling is None:
        return None
    name = naming.fullname(cluster.name, component)
    utilization = scaling.target_cpu_utilization_percentage
    target = {"type": "Utilization", "averageUtilization": utilization}
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(cluster, name, component),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": scaling.min_replicas,
            "maxReplicas": scaling.max_replicas,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": target}}],
        },
    }
