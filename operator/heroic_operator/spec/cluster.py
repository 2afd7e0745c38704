"""``HeroicClusterSpec`` and ``Cluster`` (a parsed resource: metadata, spec and raw status).

``parse_cluster`` validates a resource body at the edge; failures become ``InvalidSpec`` with the
field path. Pure: no Kubernetes calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from heroic_operator.errors import InvalidSpec
from heroic_operator.spec.backends import Backends, ElasticsearchCluster
from heroic_operator.spec.common import (
    LocalObjectReference,
    PodOverrides,
    Resources,
    ServiceType,
    SpecModel,
    Tier,
)
from heroic_operator.spec.consumers import ConsumerGroup

#: heroic.yml keys the operator renders from the spec; ``spec.config`` must not set them.
RESERVED_CONFIG_KEYS = ("consumers", "port", "host", "shellServer")
RESERVED_SECTION_KEYS = {"metrics": "backends", "metadata": "backends", "suggest": "backends"}


class ServiceSpec(SpecModel):
    type: ServiceType = "ClusterIP"
    port: int = Field(default=8080, ge=1, le=65535)
    annotations: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)


class ApiSpec(Tier):
    replicas: int = Field(default=2, ge=0)
    service: ServiceSpec = Field(default_factory=ServiceSpec)


class ConfigureSpec(SpecModel):
    """The one-shot configure Jobs (tables, keyspaces, index templates, subscriptions)."""

    enabled: bool = True
    backoff_limit: int = Field(default=4, ge=0, le=20)
    ttl_seconds_after_finished: int = Field(default=3600, ge=0)
    active_deadline_seconds: int = Field(default=600, ge=1)
    resources: Resources = Field(default_factory=Resources)
    pod_template: PodOverrides = Field(default_factory=PodOverrides)
    service_account_annotations: dict[str, str] = Field(default_factory=dict)


#: A Prometheus duration as prometheus-operator accepts it for scrape intervals.
SCRAPE_DURATION = r"^[0-9]+(ms|s|m|h)$"


class PodMonitorSpec(SpecModel):
    """A prometheus-operator PodMonitor scraping ``/metrics`` of the API and consumer pods."""

    enabled: bool = False
    interval: str = Field(default="30s", pattern=SCRAPE_DURATION)
    scrape_timeout: str | None = Field(default=None, pattern=SCRAPE_DURATION)
    labels: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> PodMonitorSpec:
        if self.scrape_timeout is not None and _millis(self.scrape_timeout) > _millis(
            self.interval
        ):
            raise ValueError("scrapeTimeout must not be longer than interval")
        return self


_UNIT_MILLIS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}


def _millis(duration: str) -> int:
    digits = duration.rstrip("smh")
    return int(digits) * _UNIT_MILLIS[duration[len(digits) :]]


class MonitoringSpec(SpecModel):
    pod_monitor: PodMonitorSpec = Field(default_factory=PodMonitorSpec)


class HeroicClusterSpec(SpecModel):
    image: str = Field(min_length=1)
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    image_pull_secrets: list[LocalObjectReference] = Field(default_factory=list)
    paused: bool = False
    deletion_policy: Literal["Retain"] = "Retain"
    config: dict[str, Any] = Field(default_factory=dict)
    api: ApiSpec = Field(default_factory=ApiSpec)
    consumers: list[ConsumerGroup] = Field(default_factory=list)
    backends: Backends = Field(default_factory=Backends)
    elasticsearch_clusters: list[ElasticsearchCluster] = Field(default_factory=list)
    configure: ConfigureSpec = Field(default_factory=ConfigureSpec)
    monitoring: MonitoringSpec = Field(default_factory=MonitoringSpec)

    @model_validator(mode="after")
    def _cross_field(self) -> HeroicClusterSpec:
        _unique("consumers", [c.name for c in self.consumers])
        _unique("elasticsearchClusters", [c.name for c in self.elasticsearch_clusters])
        known = {c.name for c in self.elasticsearch_clusters}
        for section in ("metadata", "suggest"):
            es = getattr(self.backends, section).elasticsearch
            if es is not None and es.cluster_ref is not None and es.cluster_ref not in known:
                raise ValueError(
                    f"backends.{section}.elasticsearch.clusterRef {es.cluster_ref!r} names no "
                    "entry of spec.elasticsearchClusters"
                )
        _check_config(self.config)
        return self


def _unique(what: str, names: list[str]) -> None:
    seen = {n for n in names if names.count(n) > 1}
    if seen:
        raise ValueError(f"{what}: duplicate name(s) {sorted(seen)}")


def _check_config(config: Mapping[str, Any]) -> None:
    for key in RESERVED_CONFIG_KEYS:
        if key in config:
            raise ValueError(f"config.{key} is set by the operator; remove it from spec.config")
    for section, key in RESERVED_SECTION_KEYS.items():
        value = config.get(section)
        if isinstance(value, Mapping) and key in value:
            raise ValueError(
                f"config.{section}.{key} is managed by the operator; use spec.backends.{section}"
            )


@dataclass(frozen=True)
class Cluster:
    """A parsed HeroicCluster: identity, generation, validated spec, raw status."""

    name: str
    namespace: str
    uid: str
    generation: int
    spec: HeroicClusterSpec
    status: Mapping[str, Any] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ClusterRef:
    """Identity and raw status of a HeroicCluster whose spec may be invalid."""

    name: str
    namespace: str
    uid: str
    generation: int
    status: Mapping[str, Any] = field(default_factory=dict)


def ref_of(body: Mapping[str, Any]) -> ClusterRef:
    """Identity of a resource body, without validating its spec."""
    meta = body.get("metadata") or {}
    return ClusterRef(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        uid=str(meta.get("uid", "")),
        generation=int(meta.get("generation") or 0),
        status=dict(body.get("status") or {}),
    )


def parse_cluster(body: Mapping[str, Any]) -> Cluster:
    """Validate a resource body; raises ``InvalidSpec`` naming the offending fields."""
    meta = body.get("metadata") or {}
    try:
        spec = HeroicClusterSpec.model_validate(body.get("spec") or {})
    except ValidationError as exc:
        raise InvalidSpec(describe_validation_error(exc)) from None
    return Cluster(
        name=str(meta.get("name", "")),
        namespace=str(meta.get("namespace", "")),
        uid=str(meta.get("uid", "")),
        generation=int(meta.get("generation") or 0),
        spec=spec,
        status=dict(body.get("status") or {}),
        annotations=dict(meta.get("annotations") or {}),
    )


def describe_validation_error(exc: ValidationError) -> str:
    """``spec.a.b: message; spec.c: message`` from a pydantic error (wire names)."""
    parts = []
    for error in exc.errors(include_url=False):
        path = ".".join(["spec", *(str(p) for p in error["loc"])])
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{path}: {message}")
    return "; ".join(parts)
