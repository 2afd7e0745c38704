"""The HeroicCluster spec as pydantic models (the operator's validation at the edge).

Mirrors ``crds/heroicclusters.heroic.dev.yaml``; a unit test keeps both in step.
"""

from heroic_operator.spec.backends import (
    Backends,
    BigtableBackend,
    CassandraAuthentication,
    CassandraBackend,
    ElasticsearchBackend,
    ElasticsearchCluster,
    ElasticsearchIndex,
    MetricsBackend,
    SearchBackend,
)
from heroic_operator.spec.cluster import (
    ApiSpec,
    Cluster,
    ClusterRef,
    ConfigureSpec,
    HeroicClusterSpec,
    MonitoringSpec,
    PodMonitorSpec,
    ServiceSpec,
    describe_validation_error,
    parse_cluster,
    ref_of,
)
from heroic_operator.spec.common import (
    Autoscaling,
    DisruptionBudget,
    LocalObjectReference,
    PodOverrides,
    Resources,
    SecretKeyRef,
    Tier,
)
from heroic_operator.spec.consumers import (
    ALL_WRITES,
    ConsumerGroup,
    ConsumerSource,
    KafkaSecretSetting,
    KafkaSource,
    PubSubSource,
    Write,
)

__all__ = [
    "ALL_WRITES",
    "ApiSpec",
    "Autoscaling",
    "Backends",
    "BigtableBackend",
    "CassandraAuthentication",
    "CassandraBackend",
    "Cluster",
    "ClusterRef",
    "ConfigureSpec",
    "ConsumerGroup",
    "ConsumerSource",
    "DisruptionBudget",
    "ElasticsearchBackend",
    "ElasticsearchCluster",
    "ElasticsearchIndex",
    "HeroicClusterSpec",
    "KafkaSecretSetting",
    "KafkaSource",
    "LocalObjectReference",
    "MetricsBackend",
    "MonitoringSpec",
    "PodMonitorSpec",
    "PodOverrides",
    "PubSubSource",
    "Resources",
    "SearchBackend",
    "SecretKeyRef",
    "ServiceSpec",
    "Tier",
    "Write",
    "describe_validation_error",
    "parse_cluster",
    "ref_of",
]
