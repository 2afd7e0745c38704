"""Where each kind the operator touches lives in the API: its path and whether it is namespaced.

One table instead of one typed API class per kind: every call the operator makes is the same
REST verb on a different path, and raw JSON is all the rest of the operator reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from heroic_operator import naming


@dataclass(frozen=True)
class Resource:
    kind: str
    group: str  # "" for the core group
    version: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace is not None:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name is not None else base


_ALL = (
    Resource(naming.KIND, naming.GROUP, naming.VERSION, naming.PLURAL),
    Resource("PodMonitor", "monitoring.coreos.com", "v1", "podmonitors"),
    Resource("ServiceAccount", "", "v1", "serviceaccounts"),
    Resource("ConfigMap", "", "v1", "configmaps"),
    Resource("Service", "", "v1", "services"),
    Resource("Secret", "", "v1", "secrets"),
    Resource("Pod", "", "v1", "pods"),
    Resource("Event", "", "v1", "events"),
    Resource("Namespace", "", "v1", "namespaces", namespaced=False),
    Resource("Deployment", "apps", "v1", "deployments"),
    Resource("PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets"),
    Resource("HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers"),
    Resource("Job", "batch", "v1", "jobs"),
    Resource("Lease", "coordination.k8s.io", "v1", "leases"),
    Resource(
        "CustomResourceDefinition",
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        namespaced=False,
    ),
)

RESOURCES: dict[str, Resource] = {r.kind: r for r in _ALL}


def resource(kind: str) -> Resource:
    try:
        return RESOURCES[kind]
    except KeyError:
        raise ValueError(f"the operator does not know the kind {kind!r}") from None
