"""Spec building blocks shared by every tier: Secret references, resources, pod overrides,
autoscaling and disruption budgets.

camelCase on the wire, snake_case in Python, unknown keys rejected. These models are the one
source of the HeroicCluster shape: the operator validates bodies with them and the CRD's schema
is generated from them (``spec/schema.py``), so a model's docstring and its fields' docstrings
are the descriptions ``kubectl explain`` shows. Pure data: no Kubernetes calls.
"""

from __future__ import annotations

from typing import Annotated, Any, Required

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.alias_generators import to_camel
from typing_extensions import TypedDict  # pydantic needs it for a TypedDict before 3.12

from heroic_operator.spec.markers import (
    IntOrString,
    Opaque,
    Quantity,
    rule,
    validations,
)

#: A host[:port] or similar list entry.
Entry = Annotated[str, StringConstraints(min_length=1, max_length=512)]


class SpecModel(BaseModel):
    """Base of every spec model: camelCase aliases, unknown keys forbidden, immutable; the
    docstrings under fields are their descriptions."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_attribute_docstrings=True,
    )


class SecretKeyRef(SpecModel):
    # No docstring: every field of this type says what the Secret holds.
    name: str = Field(min_length=1, max_length=253)
    """Secret name (same namespace)"""
    key: str = Field(min_length=1, max_length=253)
    """Key within the Secret"""


class LocalObjectReference(SpecModel):
    """A Secret"""

    name: str = Field(min_length=1)
    """Name"""


class Resources(SpecModel):
    """Container resources"""

    requests: dict[str, Quantity] = Field(default_factory=dict)
    """Requested resources (cpu, memory)"""
    limits: dict[str, Quantity] = Field(default_factory=dict)
    """Resource limits"""

    def to_kubernetes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.requests:
            out["requests"] = dict(self.requests)
        if self.limits:
            out["limits"] = dict(self.limits)
        return out


class PodMetadata(SpecModel):
    """Extra pod labels and annotations"""

    labels: dict[str, str] = Field(default_factory=dict)
    """Pod labels (the operator's own labels win)"""
    annotations: dict[str, str] = Field(default_factory=dict)
    """Pod annotations"""


class EnvVar(TypedDict, total=False):
    # A core/v1 EnvVar, kept as a dict: only its name is checked here, the API server checks
    # the rest when the pod is applied. (No docstring: it would become a CRD description.)
    __pydantic_config__ = ConfigDict(extra="allow")  # type: ignore[misc]
    name: Required[Annotated[str, Field(min_length=1)]]


class PodOverrides(SpecModel):
    # Kubernetes-typed blocks (affinity, tolerations, security contexts, env) are passed
    # through; the API server validates them when the Deployment or Job is applied. Each tier
    # describes its own (no docstring here).

    metadata: PodMetadata = Field(default_factory=PodMetadata)
    node_selector: dict[str, str] = Field(default_factory=dict)
    """Node selector"""
    tolerations: list[Opaque] = Field(default_factory=list, max_length=64)
    """Tolerations (core/v1 Toleration)"""
    affinity: Opaque | None = None
    """Affinity (core/v1 Affinity)"""
    topology_spread_constraints: list[Opaque] = Field(default_factory=list, max_length=64)
    """Topology spread constraints"""
    priority_class_name: str | None = Field(default=None, max_length=253)
    """Priority class"""
    service_account_name: str | None = Field(default=None, max_length=253)
    """Use this existing ServiceAccount instead of creating one"""
    security_context: Opaque | None = None
    """Pod security context (replaces the restricted default)"""
    container_security_context: Opaque | None = None
    """Container security context (replaces the restricted default)"""
    env: list[EnvVar] = Field(default_factory=list, max_length=64)
    """Extra environment variables (core/v1 EnvVar)"""


class Autoscaling(SpecModel):
    """Create a HorizontalPodAutoscaler; the operator then leaves replicas alone"""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "self.minReplicas <= self.maxReplicas",
                "autoscaling.minReplicas must not exceed maxReplicas",
            )
        )
    )

    min_replicas: int = Field(default=1, ge=1)
    """Lower bound"""
    max_replicas: int = Field(ge=1)
    """Upper bound"""
    target_cpu_utilization_percentage: int = Field(
        default=80, ge=1, le=100, alias="targetCPUUtilizationPercentage"
    )
    """Target CPU utilization"""

    @model_validator(mode="after")
    def _bounds(self) -> Autoscaling:
        if self.min_replicas > self.max_replicas:
            raise ValueError("minReplicas must not exceed maxReplicas")
        return self


class DisruptionBudget(SpecModel):
    """PodDisruptionBudget (default: maxUnavailable 1)"""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "!(has(self.maxUnavailable) && has(self.minAvailable))",
                "set at most one of maxUnavailable and minAvailable",
            )
        )
    )

    enabled: bool = True
    """Create the PodDisruptionBudget"""
    max_unavailable: IntOrString | None = None
    """Pods that may be disrupted at once (number or %)"""
    min_available: IntOrString | None = None
    """Pods that must stay available (number or %)"""

    @model_validator(mode="after")
    def _one_bound(self) -> DisruptionBudget:
        if self.max_unavailable is not None and self.min_available is not None:
            raise ValueError("set at most one of maxUnavailable and minAvailable")
        return self


AUTOSCALING_NEEDS_CPU = (
    "autoscaling scales on CPU utilization, which needs resources.requests.cpu: set it"
)


class Tier(SpecModel):
    # What the API tier and every consumer group have in common (each describes itself).

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "!has(self.autoscaling) || (has(self.resources) && has(self.resources.requests)"
                " && 'cpu' in self.resources.requests)",
                AUTOSCALING_NEEDS_CPU,
                field_path=".resources.requests",
                reason="FieldValueRequired",
            )
        )
    )

    replicas: int = Field(default=1, ge=0)
    """Pods (ignored while autoscaling is set)"""
    resources: Resources = Field(default_factory=Resources)
    autoscaling: Autoscaling | None = None
    disruption_budget: DisruptionBudget = Field(default_factory=DisruptionBudget)
    pod_template: PodOverrides = Field(default_factory=PodOverrides)
    """Overrides merged into the pod template"""
    service_account_annotations: dict[str, str] = Field(default_factory=dict)
    """Annotations of the tier's ServiceAccount (e.g. workload identity)"""

    @model_validator(mode="after")
    def _autoscaling_needs_a_cpu_request(self) -> Tier:
        if self.autoscaling is not None and "cpu" not in self.resources.requests:
            raise ValueError(AUTOSCALING_NEEDS_CPU)
        return self
