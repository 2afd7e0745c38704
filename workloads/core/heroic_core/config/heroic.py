"""``HeroicConfig``: the whole heroic.yml, loaded from a file, YAML text or a dict.

The single source of truth for node configuration: the operator renders it with
``model_dump(mode="json", by_alias=True, exclude_none=True)`` and the workloads load it with
``HeroicConfig.from_file``. Upstream configs load unchanged; unknown keys and wrong types raise
``ConfigError`` naming their paths. Sections this implementation does not use (``connectors``,
``analytics``, ``generator``, ``statistics``, ``usageTracking``) are accepted as opaque values
so that upstream files still load. No backend is created here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import AfterValidator, ByteSize, Field, ValidationError

from heroic_core.config.cluster import ClusterConfig
from heroic_core.config.common import ConfigModel, Duration, duration_default
from heroic_core.config.consumers import ConsumerConfig
from heroic_core.config.errors import ConfigError, from_validation_error
from heroic_core.config.metadata import (
    MemoryMetadataConfig,
    MemorySuggestConfig,
    MetadataConfig,
    SuggestConfig,
)
from heroic_core.config.metrics import MemoryMetricConfig, MetricsConfig
from heroic_core.config.node import (
    CacheConfig,
    ConditionalFeatures,
    FeatureList,
    IngestionConfig,
    NoopCacheConfig,
    QueryLoggingConfig,
    ShellServerConfig,
)
from heroic_core.config.prometheus import PrometheusConfig
from heroic_core.config.tracing import TracingConfig

DEFAULT_PORT = 8080
DEFAULT_MAX_REQUEST_BODY_SIZE = 32 * 1024 * 1024


def _positive_size(size: ByteSize) -> ByteSize:
    if size < 1:
        raise ValueError("must be at least 1 byte")
    return size


#: A byte count: ``33554432``, or with a unit, ``"32MiB"``, ``"64MB"`` (pydantic's ``ByteSize``).
BodySize = Annotated[ByteSize, AfterValidator(_positive_size)]


class HeroicConfig(ConfigModel):
    """heroic.yml (reference 10). Every key is optional."""

    id: str | None = None
    version: str | None = None
    service: str | None = None
    host: str = "0.0.0.0"  # noqa: S104 - upstream's default: listen on every interface
    port: int = Field(default=DEFAULT_PORT, ge=0, le=65535)
    connectors: list[dict[str, Any]] | None = None
    enable_cors: bool = True
    cors_allow_origin: str = "*"
    #: Ours: the largest request body accepted, after gzip decoding (413 beyond).
    max_request_body_size: BodySize = ByteSize(DEFAULT_MAX_REQUEST_BODY_SIZE)
    start_timeout: Duration = duration_default("5m")
    stop_timeout: Duration = duration_default("1m")
    features: FeatureList = Field(default_factory=list)
    conditional_features: ConditionalFeatures | None = None
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    metadata: MetadataConfig = Field(default_factory=MetadataConfig)
    suggest: SuggestConfig = Field(default_factory=SuggestConfig)
    ingestion: IngestionConfig = Field(default_factory=IngestionConfig)
    consumers: list[ConsumerConfig] = Field(default_factory=list)
    prometheus: PrometheusConfig = Field(default_factory=PrometheusConfig)
    cache: CacheConfig = Field(default_factory=NoopCacheConfig)
    shell_server: ShellServerConfig | None = None
    analytics: dict[str, Any] | None = None
    generator: dict[str, Any] | None = None
    statistics: dict[str, Any] | None = None
    query_logging: QueryLoggingConfig | None = None
    tracing: TracingConfig | None = None  # absent: tracing off
    usage_tracking: dict[str, Any] | None = None
    sentry_dsn: str | None = None

    def memory_backends(self) -> list[str]:
        """Where ``type: memory`` backends are (``metrics.backends[0]``): their data lives in
        one process, so processes serving the same config do not share it."""
        types: dict[str, list[str]] = {
            "metrics": [b.type for b in self.metrics.backends],
            "metadata": [b.type for b in self.metadata.backends],
            "suggest": [b.type for b in self.suggest.backends],
        }
        return [
            f"{name}.backends[{i}]"
            for name, kinds in types.items()
            for i, kind in enumerate(kinds)
            if kind == "memory"
        ]

    @classmethod
    def default(cls) -> Self:
        """Memory metric, metadata and suggest backends, port 8080."""
        return cls(
            metrics=MetricsConfig(backends=[MemoryMetricConfig(type="memory")]),
            metadata=MetadataConfig(backends=[MemoryMetadataConfig(type="memory")]),
            suggest=SuggestConfig(backends=[MemorySuggestConfig(type="memory")]),
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, source: str = "") -> Self:
        """Validate a decoded document; ``None`` (an empty file) means all defaults."""
        where = f"in {source}" if source else "in document"
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigError(f"invalid configuration {where}: the top level must be a mapping")
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise from_validation_error(exc, data, where) from None

    @classmethod
    def from_yaml(cls, text: str, source: str = "") -> Self:
        """Parse YAML text (one document) and validate it."""
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            where = f" in {source}" if source else ""
            raise ConfigError(f"invalid YAML{where}: {exc}") from None
        return cls.from_dict(data, source)

    @classmethod
    def from_file(cls, path: str | Path) -> Self:
        """Read and validate a heroic.yml file."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from None
        return cls.from_yaml(text, str(path))

    def to_dict(self) -> dict[str, Any]:
        """The wire form (camelCase, no nulls): what the operator writes into heroic.yml."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.to_dict(), sort_keys=False)
