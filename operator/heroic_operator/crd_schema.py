"""CRD sub-schemas for the spec (tiers, pod overrides, configure Jobs) and the status. Pure."""

from __future__ import annotations

from typing import Any

from heroic_operator.crd_backends import (
    SHORT_NAME,
    backends,
    consumer_source,
    elasticsearch_clusters,
    secret_key_ref,
)
from heroic_operator.crd_types import (
    boolean,
    int_or_string,
    integer,
    map_list,
    obj,
    opaque,
    opaque_list,
    quantity_map,
    rule,
    string,
    string_map,
)


def resources() -> dict[str, Any]:
    return obj(
        "Container resources",
        {
            "requests": quantity_map("Requested resources (cpu, memory)"),
            "limits": quantity_map("Resource limits"),
        },
    )


def pod_overrides(what: str) -> dict[str, Any]:
    env_item = {
        "type": "object",
        "required": ["name"],
        "x-kubernetes-preserve-unknown-fields": True,
        "properties": {"name": {"type": "string", "minLength": 1}},
    }
    return obj(
        f"Overrides merged into the {what} pod template",
        {
            "metadata": obj(
                "Extra pod labels and annotations",
                {
                    "labels": string_map("Pod labels (the operator's own labels win)"),
                    "annotations": string_map("Pod annotations"),
                },
            ),
            "nodeSelector": string_map("Node selector"),
            "tolerations": opaque_list("Tolerations (core/v1 Toleration)"),
            "affinity": opaque("Affinity (core/v1 Affinity)"),
            "topologySpreadConstraints": opaque_list("Topology spread constraints"),
            "priorityClassName": string("Priority class", max_length=253),
            "serviceAccountName": string(
                "Use this existing ServiceAccount instead of creating one", max_length=253
            ),
            "securityContext": opaque("Pod security context (replaces the restricted default)"),
            "containerSecurityContext": opaque(
                "Container security context (replaces the restricted default)"
            ),
            "env": {
                "type": "array",
                "maxItems": 64,
                "items": env_item,
                "description": "Extra environment variables (core/v1 EnvVar)",
            },
        },
    )


def autoscaling() -> dict[str, Any]:
    return obj(
        "Create a HorizontalPodAutoscaler; the operator then leaves replicas alone",
        {
            "minReplicas": integer("Lower bound", minimum=1, default=1),
            "maxReplicas": integer("Upper bound", minimum=1),
            "targetCPUUtilizationPercentage": integer(
                "Target CPU utilization", minimum=1, maximum=100, default=80
            ),
        },
        required=["maxReplicas"],
        rules=[
            rule(
                "self.minReplicas <= self.maxReplicas",
                "autoscaling.minReplicas must not exceed maxReplicas",
            ),
        ],
    )


def disruption_budget() -> dict[str, Any]:
    return obj(
        "PodDisruptionBudget (default: maxUnavailable 1)",
        {
            "enabled": boolean("Create the PodDisruptionBudget", default=True),
            "maxUnavailable": int_or_string("Pods that may be disrupted at once (number or %)"),
            "minAvailable": int_or_string("Pods that must stay available (number or %)"),
        },
        rules=[
            rule(
                "!(has(self.maxUnavailable) && has(self.minAvailable))",
                "set at most one of maxUnavailable and minAvailable",
            )
        ],
    )


def tier_properties(what: str, replicas: int) -> dict[str, Any]:
    return {
        "replicas": integer("Pods (ignored while autoscaling is set)", minimum=0, default=replicas),
        "resources": resources(),
        "autoscaling": autoscaling(),
        "disruptionBudget": disruption_budget(),
        "podTemplate": pod_overrides(what),
        "serviceAccountAnnotations": string_map(
            "Annotations of the tier's ServiceAccount (e.g. workload identity)"
        ),
    }


AUTOSCALING_NEEDS_CPU = (
    "autoscaling scales on CPU utilization, which needs resources.requests.cpu: set it"
)


def autoscaling_needs_cpu_rule() -> dict[str, Any]:
    return rule(
        "!has(self.autoscaling) || (has(self.resources) && has(self.resources.requests) && "
        "'cpu' in self.resources.requests)",
        AUTOSCALING_NEEDS_CPU,
        field_path=".resources.requests",
        reason="FieldValueRequired",
    )


def api() -> dict[str, Any]:
    service = obj(
        "The API Service",
        {
            "type": string(
                "Service type", enum=["ClusterIP", "NodePort", "LoadBalancer"], default="ClusterIP"
            ),
            "port": integer("Service port", minimum=1, maximum=65535, default=8080),
            "annotations": string_map("Service annotations"),
            "labels": string_map("Extra Service labels"),
        },
    )
    return obj(
        "The API (query) tier",
        {**tier_properties("API", 2), "service": service},
        default={},
        rules=[autoscaling_needs_cpu_rule()],
    )


def consumers() -> dict[str, Any]:
    item = obj(
        "A consumer group: one Deployment reading one source",
        {
            "name": string("Short name (part of child names)", pattern=SHORT_NAME, max_length=15),
            **tier_properties("consumer", 1),
            "source": consumer_source(),
            "writes": {
                "type": "array",
                "minItems": 1,
                "maxItems": 3,
                "x-kubernetes-list-type": "set",
                "description": "Writes this group performs (default: all three)",
                "items": {"type": "string", "enum": ["metrics", "metadata", "suggest"]},
            },
        },
        required=["name", "source"],
        rules=[autoscaling_needs_cpu_rule()],
    )
    return map_list("Consumer groups", item, max_items=20)


def configure() -> dict[str, Any]:
    return obj(
        "One-shot configure Jobs creating tables, keyspaces, index templates and "
        "subscriptions (create-if-absent, never delete)",
        {
            "enabled": boolean(
                "Run configure Jobs (false: backend objects are managed outside)", default=True
            ),
            "backoffLimit": integer(
                "Retries of a retryable failure within one Job", minimum=0, maximum=20, default=4
            ),
            "ttlSecondsAfterFinished": integer(
                "Finished Jobs are deleted after this long (their outcome stays in status)",
                minimum=0,
                default=3600,
            ),
            "activeDeadlineSeconds": integer("Time limit of one Job", minimum=1, default=600),
            "resources": resources(),
            "podTemplate": pod_overrides("configure Job"),
            "serviceAccountAnnotations": string_map("Annotations of the configure ServiceAccount"),
        },
        default={},
    )


def monitoring() -> dict[str, Any]:
    duration = r"^[0-9]+(ms|s|m|h)$"
    pod_monitor = obj(
        "A prometheus-operator PodMonitor for /metrics of the API and consumer pods (needs "
        "the monitoring.coreos.com CRDs in the cluster)",
        {
            "enabled": boolean("Create the PodMonitor", default=False),
            "interval": string("Scrape interval, e.g. 30s", pattern=duration, default="30s"),
            "scrapeTimeout": string("Scrape timeout, e.g. 10s", pattern=duration),
            "labels": string_map("Labels of the PodMonitor, e.g. the one Prometheus selects on"),
        },
        default={},
        rules=[
            rule(
                "!has(self.scrapeTimeout) || !has(self.interval) || "
                "duration(self.scrapeTimeout) <= duration(self.interval)",
                "scrapeTimeout must not be longer than interval",
                field_path=".scrapeTimeout",
                reason="FieldValueInvalid",
            )
        ],
    )
    return obj("Monitoring of the Heroic pods", {"podMonitor": pod_monitor}, default={})


def _clusterref_rule(section: str) -> dict[str, Any]:
    path = f"self.backends.{section}.elasticsearch"
    return rule(
        f"!has(self.backends) || !has(self.backends.{section}) || "
        f"!has({path}) || !has({path}.clusterRef) || "
        f"(has(self.elasticsearchClusters) && "
        f"self.elasticsearchClusters.exists(c, c.name == {path}.clusterRef))",
        f"backends.{section}.elasticsearch.clusterRef must name an entry of "
        "spec.elasticsearchClusters",
        field_path=f".backends.{section}.elasticsearch.clusterRef",
        reason="FieldValueInvalid",
    )


def spec_schema() -> dict[str, Any]:
    return obj(
        "Desired state of the Heroic cluster",
        {
            "image": string(
                "Heroic container image (runs heroic api|consumer|configure)",
                min_length=1,
                max_length=512,
            ),
            "imagePullPolicy": string(
                "Image pull policy",
                enum=["Always", "IfNotPresent", "Never"],
                default="IfNotPresent",
            ),
            "imagePullSecrets": {
                "type": "array",
                "maxItems": 10,
                "description": "Pull secrets",
                "items": obj("A Secret", {"name": string("Name", min_length=1)}, required=["name"]),
            },
            "paused": boolean("Stop all changes to children (status still updates)", default=False),
            "deletionPolicy": string(
                "What deleting the HeroicCluster does to backend data: "
                "Retain (the only policy) never touches it; Kubernetes "
                "children are garbage-collected",
                enum=["Retain"],
                default="Retain",
            ),
            "config": opaque(
                "Extra heroic.yml settings (features, limits, ingestion, cache...); "
                "backends and consumers come from the fields above"
            ),
            "api": api(),
            "consumers": consumers(),
            "backends": backends(),
            "elasticsearchClusters": elasticsearch_clusters(),
            "configure": configure(),
            "monitoring": monitoring(),
        },
        required=["image"],
        rules=[_clusterref_rule("metadata"), _clusterref_rule("suggest")],
    )


def status_schema() -> dict[str, Any]:
    condition = obj(
        "A condition",
        {
            "type": string("Condition type"),
            "status": string("True, False or Unknown", enum=["True", "False", "Unknown"]),
            "reason": string("Machine-readable reason"),
            "message": string("Human-readable details"),
            "lastTransitionTime": {"type": "string", "format": "date-time"},
            "observedGeneration": integer("Generation the condition was computed for"),
        },
        required=["type", "status"],
    )
    record = obj(
        "Outcome of the configure Jobs of one target",
        {
            "hash": string("Hash of the current inputs"),
            "jobName": string("Job for the current inputs"),
            "phase": string("Succeeded, Running, Waiting, Failed or Blocked"),
            "message": string("Details"),
            "attempts": integer("Jobs created for the current inputs"),
            "failure": string("Retryable or Permanent"),
            "failedHash": string("Inputs whose Job failed"),
            "retryNonce": string("Last consumed heroic.dev/retry-configure value"),
            "succeededHashes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Inputs configured successfully (newest last)",
            },
        },
    )
    return obj(
        "Observed state, written by the operator",
        {
            "observedGeneration": integer("Generation the status describes"),
            "conditions": {
                "type": "array",
                "items": condition,
                "x-kubernetes-list-type": "map",
                "x-kubernetes-list-map-keys": ["type"],
                "description": "Conditions",
            },
            "apiReplicas": string("ready/desired API replicas"),
            "consumerReplicas": string("ready/desired consumer replicas"),
            "configure": {
                "type": "object",
                "additionalProperties": record,
                "description": "Configure Jobs per target (bigtable, cassandra, "
                "elasticsearch, pubsub-<group>, kafka-<group>)",
            },
            "operator": obj(
                "The operator version that last applied every child, and the generation it "
                "applied (an upgraded operator holds pod-restarting changes until the spec "
                "changes)",
                {
                    "version": string("Operator version"),
                    "generation": integer("Generation applied"),
                },
            ),
        },
    )


__all__ = ["SHORT_NAME", "secret_key_ref", "spec_schema", "status_schema"]
