"""heroic.yml as pydantic models: ``HeroicConfig`` and the section/backend models.

Load with ``HeroicConfig.from_file(path)``; errors are ``ConfigError`` listing paths. This
package describes configuration only: backends are built by ``heroic_core.backends.factory``.
"""

from heroic_core.config.cluster import ClusterConfig
from heroic_core.config.common import BackendConfig, ConfigModel, Duration
from heroic_core.config.consumers import (
    CollectdConsumerConfig,
    ConsumerConfig,
    KafkaConsumerConfig,
    PubSubConsumerConfig,
)
from heroic_core.config.elasticsearch import (
    ConnectionConfig,
    ElasticsearchMetadataConfig,
    ElasticsearchSuggestConfig,
    RestClientConfig,
    RotatingIndexConfig,
    SingleIndexConfig,
    TransportClientConfig,
)
from heroic_core.config.errors import ConfigError
from heroic_core.config.heroic import HeroicConfig
from heroic_core.config.metadata import (
    MemoryMetadataConfig,
    MemorySuggestConfig,
    MetadataBackendConfig,
    MetadataConfig,
    SuggestBackendConfig,
    SuggestConfig,
)
from heroic_core.config.metrics import (
    BigtableMetricConfig,
    DatastaxMetricConfig,
    MemoryMetricConfig,
    MetricBackendConfig,
    MetricsConfig,
)
from heroic_core.config.node import IngestionConfig, ShellServerConfig

__all__ = [
    "BackendConfig",
    "BigtableMetricConfig",
    "ClusterConfig",
    "CollectdConsumerConfig",
    "ConfigError",
    "ConfigModel",
    "ConnectionConfig",
    "ConsumerConfig",
    "DatastaxMetricConfig",
    "Duration",
    "ElasticsearchMetadataConfig",
    "ElasticsearchSuggestConfig",
    "HeroicConfig",
    "IngestionConfig",
    "KafkaConsumerConfig",
    "MemoryMetadataConfig",
    "MemoryMetricConfig",
    "MemorySuggestConfig",
    "MetadataBackendConfig",
    "MetadataConfig",
    "MetricBackendConfig",
    "MetricsConfig",
    "PubSubConsumerConfig",
    "RestClientConfig",
    "RotatingIndexConfig",
    "ShellServerConfig",
    "SingleIndexConfig",
    "SuggestBackendConfig",
    "SuggestConfig",
    "TransportClientConfig",
]
