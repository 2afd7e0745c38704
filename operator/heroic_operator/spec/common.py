"""Spec building blocks shared by every tier: Secret references, resources, pod overrides,
autoscaling and disruption budgets.

camelCase on the wire, snake_case in Python, unknown keys rejected (the CRD schema says the same;
these models are the operator's own check at the edge). Pure data: no Kubernetes calls.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

Quantity = int | str


class SpecModel(BaseModel):
    """Base of every spec model: camelCase aliases, unknown keys forbidden, immutable."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


class SecretKeyRef(SpecModel):
    """One key of a Secret in the HeroicCluster's namespace."""

    name: str = Field(min_length=1)
    key: str = Field(min_length=1)


class LocalObjectReference(SpecModel):
    name: str = Field(min_length=1)


class Resources(SpecModel):
    """Container ``resources``: requests and limits as Kubernetes quantities."""

    requests: dict[str, Quantity] = Field(default_factory=dict)
    limits: dict[str, Quantity] = Field(default_factory=dict)

    def to_kubernetes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.requests:
            out["requests"] = dict(self.requests)
        if self.limits:
            out["limits"] = dict(self.limits)
        return out


class PodMetadata(SpecModel):
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class PodOverrides(SpecModel):
    """Scheduling and identity knobs merged into a pod template (workloads and Jobs alike).

    Kubernetes-typed blocks (affinity, tolerations, security contexts, env) are passed through;
    the API server validates them when the Deployment or Job is applied.
    """

    metadata: PodMetadata = Field(default_factory=PodMetadata)
    node_selector: dict[str, str] = Field(default_factory=dict)
    tolerations: list[dict[str, Any]] = Field(default_factory=list)
    affinity: dict[str, Any] | None = None
    topology_spread_constraints: list[dict[str, Any]] = Field(default_factory=list)
    priority_class_name: str | None = None
    service_account_name: str | None = None
    security_context: dict[str, Any] | None = None
    container_security_context: dict[str, Any] | None = None
    env: list[dict[str, Any]] = Field(default_factory=list)


class Autoscaling(SpecModel):
    """A HorizontalPodAutoscaler for the tier; the operator then leaves replicas to it."""

    min_replicas: int = Field(default=1, ge=1)
    max_replicas: int = Field(ge=1)
    target_cpu_utilization_percentage: int = Field(
        default=80, ge=1, le=100, alias="targetCPUUtilizationPercentage"
    )

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError("minReplicas must not exceed maxReplicas")
        return self


class DisruptionBudget(SpecModel):
    """A PodDisruptionBudget for the tier (default: at most one pod unavailable)."""

    enabled: bool = True
    max_unavailable: Quantity | None = None
    min_available: Quantity | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> DisruptionBudget:
        if self.max_unavailable is not None and self.min_available is not None:
            raise ValueError("set at most one of maxUnavailable and minAvailable")
        return self


class Tier(SpecModel):
    """What the API tier and every consumer group have in common."""

    replicas: int = Field(default=1, ge=0)
    resources: Resources = Field(default_factory=Resources)
    autoscaling: Autoscaling | None = None
    disruption_budget: DisruptionBudget = Field(default_factory=DisruptionBudget)
    pod_template: PodOverrides = Field(default_factory=PodOverrides)
    service_account_annotations: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _autoscaling_needs_a_cpu_request(self) -> Tier:
        if self.autoscaling is not None and "cpu" not in self.resources.requests:
            raise ValueError(
                "autoscaling scales on CPU utilization, which needs resources.requests.cpu: set it"
            )
        return self


ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer"]
