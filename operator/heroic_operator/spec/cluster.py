"""``HeroicClusterSpec`` and ``Cluster`` (a parsed resource: metadata, spec and raw status).

``parse_cluster`` validates a resource body at the edge; failures become ``InvalidSpec`` with the
field path. Pure: no Kubernetes calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ConfigDict, Field, ValidationError, model_validator

from heroic_operator.errors import InvalidSpec
from heroic_operator.spec.api import ApiSpec
from heroic_operator.spec.backends import Backends, ElasticsearchCluster
from heroic_operator.spec.common import (
    LocalObjectReference,
    PodOverrides,
    Resources,
    SpecModel,
)
from heroic_operator.spec.consumers import ConsumerGroup
from heroic_operator.spec.federation import FederationSpec
from heroic_operator.spec.markers import (
    Keywords,
    Opaque,
    crd_default,
    list_map,
    rule,
    validations,
)

#: heroic.yml keys the operator renders from the spec; ``spec.config`` must not set them.
RESERVED_CONFIG_KEYS = ("consumers", "port", "host", "shellServer")
RESERVED_SECTION_KEYS = {"metrics": "backends", "metadata": "backends", "suggest": "backends"}


class ConfigureSpec(SpecModel):
    """One-shot configure Jobs creating tables, keyspaces, index templates and subscriptions
    (create-if-absent, never delete)"""

    enabled: bool = True
    """Run configure Jobs (false: backend objects are managed outside)"""
    backoff_limit: int = Field(default=4, ge=0, le=20)
    """Retries of a retryable failure within one Job"""
    ttl_seconds_after_finished: int = Field(default=3600, ge=0)
    """Finished Jobs are deleted after this long (their outcome stays in status)"""
    active_deadline_seconds: int = Field(default=600, ge=1)
    """Time limit of one Job"""
    resources: Resources = Field(default_factory=Resources)
    pod_template: PodOverrides = Field(default_factory=PodOverrides)
    """Overrides merged into the configure Job pod template"""
    service_account_annotations: dict[str, str] = Field(default_factory=dict)
    """Annotations of the configure ServiceAccount"""


#: A Prometheus duration as prometheus-operator accepts it for scrape intervals.
SCRAPE_DURATION = r"^[0-9]+(ms|s|m|h)$"


class PodMonitorSpec(SpecModel):
    """A prometheus-operator PodMonitor for /metrics of the API and consumer pods (needs the
    monitoring.coreos.com CRDs in the cluster)"""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "!has(self.scrapeTimeout) || !has(self.interval) || "
                "duration(self.scrapeTimeout) <= duration(self.interval)",
                "scrapeTimeout must not be longer than interval",
                field_path=".scrapeTimeout",
                reason="FieldValueInvalid",
            )
        )
    )

    enabled: bool = False
    """Create the PodMonitor"""
    interval: str = Field(default="30s", pattern=SCRAPE_DURATION)
    """Scrape interval, e.g. 30s"""
    scrape_timeout: str | None = Field(default=None, pattern=SCRAPE_DURATION)
    """Scrape timeout, e.g. 10s"""
    labels: dict[str, str] = Field(default_factory=dict)
    """Labels of the PodMonitor, e.g. the one Prometheus selects on"""

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
    """Monitoring of the Heroic pods"""

    pod_monitor: PodMonitorSpec = Field(
        default_factory=PodMonitorSpec, json_schema_extra=crd_default({})
    )


def _clusterref_rule(section: str) -> Keywords:
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


WORKERS_NEED_SHARED_BACKENDS = (
    "api.workers above 1 needs metric, metadata and suggest backends outside the process: "
    "each API process would hold its own memory backend and answer from it"
)


def _memory(backends: Backends, section: str) -> bool:
    return bool(getattr(backends, section).type == "memory")


def _workers_rule() -> Keywords:
    memory = " || ".join(
        f"(has(self.backends.{s}) && self.backends.{s}.type == 'memory')"
        for s in ("metrics", "metadata", "suggest")
    )
    return rule(
        f"!has(self.api) || !has(self.api.workers) || self.api.workers <= 1 || "
        f"(has(self.backends) && !({memory}))",
        WORKERS_NEED_SHARED_BACKENDS,
        field_path=".api.workers",
        reason="FieldValueForbidden",
    )


class HeroicClusterSpec(SpecModel):
    """Desired state of the Heroic cluster"""

    model_config = ConfigDict(
        json_schema_extra=validations(
            _clusterref_rule("metadata"), _clusterref_rule("suggest"), _workers_rule()
        )
    )

    image: str = Field(min_length=1, max_length=512)
    """Heroic container image (runs heroic api|consumer|configure)"""
    image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    """Image pull policy"""
    image_pull_secrets: list[LocalObjectReference] = Field(default_factory=list, max_length=10)
    """Pull secrets"""
    paused: bool = False
    """Stop all changes to children (status still updates)"""
    deletion_policy: Literal["Retain"] = "Retain"
    """What deleting the HeroicCluster does to backend data: Retain (the only policy) never
    touches it; Kubernetes children are garbage-collected"""
    config: Opaque = Field(default_factory=dict)
    """Extra heroic.yml settings (features, limits, ingestion, cache...); backends and consumers
    come from the fields above"""
    api: ApiSpec = Field(default_factory=ApiSpec, json_schema_extra=crd_default({}))
    consumers: list[ConsumerGroup] = Field(
        default_factory=list, max_length=20, json_schema_extra=list_map("name")
    )
    """Consumer groups"""
    backends: Backends = Field(default_factory=Backends, json_schema_extra=crd_default({}))
    elasticsearch_clusters: list[ElasticsearchCluster] = Field(
        default_factory=list, max_length=10, json_schema_extra=list_map("name")
    )
    """Elasticsearch clusters running in Kubernetes"""
    configure: ConfigureSpec = Field(
        default_factory=ConfigureSpec, json_schema_extra=crd_default({})
    )
    monitoring: MonitoringSpec = Field(
        default_factory=MonitoringSpec, json_schema_extra=crd_default({})
    )
    federation: FederationSpec | None = None

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
        _check_api_settings(self.api, self.config)
        if self.federation is not None and "cluster" in self.config:
            raise ValueError(FEDERATION_OWNS_CLUSTER)
        memory = [s for s in ("metrics", "metadata", "suggest") if _memory(self.backends, s)]
        if (self.api.workers or 1) > 1 and memory:
            raise ValueError(f"{WORKERS_NEED_SHARED_BACKENDS} (memory: {', '.join(memory)})")
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


# CEL cannot see inside spec.config (unknown fields are invisible to it): the operator refuses.
FEDERATION_OWNS_CLUSTER = (
    "config.cluster and spec.federation both set heroic.yml's cluster section; keep "
    "spec.federation and remove cluster from spec.config"
)

#: heroic.yml keys each ``spec.api`` setting renders, as (field, path in the file).
API_SETTING_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("resultCache", ("cache",)),
    ("queryConcurrency.limit", ("metrics", "concurrentQueriesBackoff")),
    ("queryConcurrency.smallQueryThreshold", ("metrics", "smallQueryThreshold")),
    ("queryConcurrency.wait", ("metrics", "concurrentQueriesWait")),
    ("queryLogging", ("queryLogging",)),
    ("tracing", ("tracing",)),
    ("maxRequestBodySize", ("maxRequestBodySize",)),
)


def _check_api_settings(api: ApiSpec, config: Mapping[str, Any]) -> None:
    """Refuse a heroic.yml key set both by a ``spec.api`` field and through ``spec.config``:
    which one wins would be a guess."""
    for field_path, keys in API_SETTING_KEYS:
        if not _api_field_set(api, field_path):
            continue
        section: Any = config
        for key in keys:
            section = section.get(key) if isinstance(section, Mapping) else None
        if section is not None:
            raise ValueError(
                f"config.{'.'.join(keys)} and api.{field_path} set the same thing; "
                f"keep api.{field_path} and remove it from spec.config"
            )


def _api_field_set(api: ApiSpec, field_path: str) -> bool:
    if field_path == "queryLogging":
        return api.query_logging.enabled
    value: Any = api.model_dump(by_alias=True)
    for part in field_path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value is not None


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
    #: ``metadata.creationTimestamp`` as the API server wrote it ("" when unknown).
    created: str = ""


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
        created=str(meta.get("creationTimestamp") or ""),
    )


def describe_validation_error(exc: ValidationError) -> str:
    """``spec.a.b: message; spec.c: message`` from a pydantic error (wire names)."""
    parts = []
    for error in exc.errors(include_url=False):
        path = ".".join(["spec", *(str(p) for p in error["loc"])])
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{path}: {message}")
    return "; ".join(parts)
