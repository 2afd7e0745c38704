"""What the API node needs from ``HeroicConfig``, flattened into one immutable value.

``settings_from_config`` is the only place that reads the config model, so the rest of the
package never depends on the config layout. It must not open backends or read files.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from heroic_api.services.admission import AdmissionSettings
from heroic_api.services.features import Features
from heroic_api.services.status import ServiceInfo
from heroic_core.config.heroic import DEFAULT_MAX_REQUEST_BODY_SIZE
from heroic_core.config.node import CacheConfig, NoopCacheConfig, QueryLoggingConfig
from heroic_core.config.prometheus import PrometheusConfig
from heroic_core.version import package_version

if TYPE_CHECKING:
    from heroic_core.config import HeroicConfig
    from heroic_core.config.node import ConditionalFeatures
    from heroic_core.config.tracing import TracingConfig

DEFAULT_SERVICE_NAME = "The Heroic Time Series Database"


@dataclass(frozen=True, slots=True)
class QueryLimits:
    """``metrics.*Limit`` and friends (``None`` = unlimited); per-query options override."""

    group_limit: int | None = None
    series_limit: int | None = None
    aggregation_limit: int | None = None
    data_limit: int | None = None
    fail_on_limits: bool = False
    fetch_parallelism: int = 100


@dataclass(frozen=True, slots=True)
class IngestionSettings:
    """``ingestion:`` (reference 2.8); ``filter`` is an HQL filter text or ``None``."""

    update_metrics: bool = True
    update_metadata: bool = True
    update_suggestions: bool = True
    max_concurrent_writes: int = 50_000
    filter: str | None = None


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """Everything the HTTP layer and the services read from the configuration."""

    service: ServiceInfo = field(
        default_factory=lambda: ServiceInfo(DEFAULT_SERVICE_NAME, "0.1.0", "heroic", "")
    )
    host: str = "0.0.0.0"  # noqa: S104 - upstream's default bind address
    port: int = 8080
    enable_cors: bool = True
    cors_allow_origin: str = "*"
    features: Features = field(default_factory=Features)
    conditional_features: ConditionalFeatures | None = None
    shard: dict[str, str] = field(default_factory=dict)
    node_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    limits: QueryLimits = field(default_factory=QueryLimits)
    ingestion: IngestionSettings = field(default_factory=IngestionSettings)
    prometheus: PrometheusConfig = field(default_factory=PrometheusConfig)
    max_request_body_size: int = DEFAULT_MAX_REQUEST_BODY_SIZE
    tracing: TracingConfig | None = None  # off
    cache: CacheConfig = field(default_factory=NoopCacheConfig)
    query_logging: QueryLoggingConfig | None = None
    admission: AdmissionSettings = field(default_factory=AdmissionSettings)


def settings_from_config(config: HeroicConfig, commit: str = "") -> ApiSettings:
    """Flatten the parts of ``config`` the API node uses."""
    metrics = config.metrics
    ingestion = config.ingestion
    service = ServiceInfo(
        name=config.service or DEFAULT_SERVICE_NAME,
        version=config.version or package_version(),
        id=config.id or "heroic",
        commit=commit,
    )
    return ApiSettings(
        service=service,
        host=config.host,
        port=config.port,
        enable_cors=config.enable_cors,
        cors_allow_origin=config.cors_allow_origin,
        features=Features().apply(config.features or (), "features"),
        conditional_features=config.conditional_features,
        shard=dict(config.cluster.tags) if config.cluster is not None else {},
        node_id=str((config.cluster.id if config.cluster else None) or uuid.uuid4()),
        limits=QueryLimits(
            group_limit=metrics.group_limit,
            series_limit=metrics.series_limit,
            aggregation_limit=metrics.aggregation_limit,
            data_limit=metrics.data_limit,
            fail_on_limits=metrics.fail_on_limits,
            fetch_parallelism=metrics.fetch_parallelism,
        ),
        ingestion=IngestionSettings(
            update_metrics=ingestion.update_metrics,
            update_metadata=ingestion.update_metadata,
            update_suggestions=ingestion.update_suggestions,
            max_concurrent_writes=ingestion.max_concurrent_writes,
            filter=ingestion.filter,
        ),
        prometheus=config.prometheus,
        max_request_body_size=int(config.max_request_body_size),
        tracing=config.tracing,
        cache=config.cache,
        query_logging=config.query_logging,
        admission=AdmissionSettings(
            limit=metrics.concurrent_queries_backoff,
            small_threshold=metrics.small_query_threshold,
            wait=metrics.concurrent_queries_wait.seconds,
        ),
    )
