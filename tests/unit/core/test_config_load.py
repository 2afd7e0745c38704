"""heroic.yml files in upstream's format load unchanged, with upstream's defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from heroic_core.config import (
    BigtableMetricConfig,
    ConfigError,
    DatastaxMetricConfig,
    Duration,
    ElasticsearchMetadataConfig,
    ElasticsearchSuggestConfig,
    HeroicConfig,
    KafkaConsumerConfig,
    MemoryMetadataConfig,
    MemoryMetricConfig,
    MemorySuggestConfig,
    PubSubConsumerConfig,
    RestClientConfig,
    RotatingIndexConfig,
    SingleIndexConfig,
    TransportClientConfig,
)
from heroic_core.config.cluster import GrpcProtocolConfig, StaticDiscoveryConfig
from heroic_core.config.metrics import (
    JsonCredentials,
    PlainAuthentication,
    ServiceAccountCredentials,
)
from heroic_core.config.node import (
    ClientIdCondition,
    MatchConditionalFeatures,
    MemcachedCacheConfig,
    QueryLoggingConfig,
)

API_EXAMPLE = """\
id: heroic-api
port: 8080
cluster:
  tags: {site: test}
  protocols: [{type: grpc}]
metrics:
  seriesLimit: 20000
  backends:
    - type: bigtable
      project: my-gcp-project
      instance: heroic
      table: metrics
      emulatorEndpoint: bigtable:8086
      configure: true
metadata:
  backends:
    - type: elasticsearch
      configure: true
      connection:
        index: {type: rotating, pattern: "heroic-%s", interval: 7d}
        client: {type: rest, seeds: ["elasticsearch:9200"]}
suggest:
  backends:
    - type: elasticsearch
      configure: true
      connection:
        client: {type: rest, seeds: ["elasticsearch:9200"]}
consumers:
  - type: pubsub
    schema: com.spotify.heroic.consumer.schemas.Spotify100
    project: my-gcp-project
    topic: metrics
    subscription: heroic-metrics
shellServer: {port: 9190}
"""


def test_reference_api_example_loads() -> None:
    config = HeroicConfig.from_yaml(API_EXAMPLE)
    assert config.id == "heroic-api"
    assert config.cluster.tags == {"site": "test"}
    assert isinstance(config.cluster.protocols[0], GrpcProtocolConfig)
    assert config.cluster.protocols[0].port == 9698
    assert config.metrics.series_limit == 20000
    assert config.shell_server is not None
    assert config.shell_server.host == "localhost"


def test_bigtable_backend_fields_and_defaults() -> None:
    config = HeroicConfig.from_yaml(API_EXAMPLE)
    backend = config.metrics.backends[0]
    assert isinstance(backend, BigtableMetricConfig)
    assert backend.project == "my-gcp-project"
    assert backend.emulator_endpoint == "bigtable:8086"
    assert backend.configure is True
    assert backend.groups == ["bigtable"]
    assert backend.credentials.type == "default"
    assert backend.flush_interval_seconds == 2
    assert backend.max_write_batch_size == 1000
    assert backend.disable_bulk_mutations is False


def test_bigtable_all_documented_keys() -> None:
    config = HeroicConfig.from_yaml(
        """
metrics:
  backends:
    - type: bigtable
      id: bt
      groups: [a, b]
      project: p
      instance: i
      profile: app-profile
      table: t
      credentials: {type: json, path: /var/run/secrets/bigtable.json}
      disableBulkMutations: true
      flushIntervalSeconds: 5
      batchSize: 100
      maxWriteBatchSize: 5
      mutateRpcTimeoutMs: 1000
      readRowsRpcTimeoutMs: 2000
      shortRpcTimeoutMs: 300
      maxScanTimeoutRetries: 3
      maxElapsedBackoffMs: 4000
"""
    )
    backend = config.metrics.backends[0]
    assert isinstance(backend, BigtableMetricConfig)
    assert backend.groups == ["a", "b"]
    assert backend.profile == "app-profile"
    assert backend.credentials == JsonCredentials(
        type="json", path="/var/run/secrets/bigtable.json"
    )
    assert backend.read_rows_rpc_timeout_ms == 2000
    assert backend.effective_max_write_batch_size() == 10


def test_bigtable_service_account_credentials() -> None:
    config = HeroicConfig.from_yaml(
        """
metrics:
  backends:
    - type: bigtable
      project: p
      credentials: {type: service-account, serviceAccount: sa@p.iam, keyFile: /k.p12}
"""
    )
    backend = config.metrics.backends[0]
    assert isinstance(backend, BigtableMetricConfig)
    assert backend.credentials == ServiceAccountCredentials(
        type="service-account", service_account="sa@p.iam", key_file="/k.p12"
    )


def test_bigtable_emulator_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIGTABLE_EMULATOR_HOST", "localhost:8086")
    backend = BigtableMetricConfig(type="bigtable", project="p")
    assert backend.effective_emulator_endpoint() == "localhost:8086"


def test_group_given_as_string_is_one_group() -> None:
    config = HeroicConfig.from_yaml("metrics: {backends: [{type: memory, groups: fast}]}")
    assert config.metrics.backends[0].groups == ["fast"]


def test_datastax_reference_variant_loads() -> None:
    config = HeroicConfig.from_yaml(
        """
metrics:
  backends:
    - {type: datastax, seeds: ["cassandra:9042"], schema: {type: ng, keyspace: heroic},
       configure: true}
"""
    )
    backend = config.metrics.backends[0]
    assert isinstance(backend, DatastaxMetricConfig)
    assert backend.seeds == ["cassandra:9042"]
    assert backend.schema_.keyspace == "heroic"
    assert backend.groups == ["heroic"]
    assert backend.fetch_size == 5000
    assert backend.read_timeout == Duration(30, "s")
    assert backend.consistency_level == "ONE"
    assert backend.authentication.type == "none"


def test_datastax_all_documented_keys() -> None:
    config = HeroicConfig.from_yaml(
        """
metrics:
  backends:
    - type: datastax
      seeds: [a, "b:9043"]
      schema: {keyspace: metrics_ks}
      fetchSize: 100
      readTimeout: 10s
      consistencyLevel: LOCAL_QUORUM
      authentication: {type: plain, username: heroic, passwordEnv: CASSANDRA_PASSWORD}
      poolingOptions:
        maxRequestsPerConnection: {LOCAL: 1024, REMOTE: 256}
        coreConnectionsPerHost: {LOCAL: 2}
        maxConnectionsPerHost: {LOCAL: 8}
        newConnectionThreshold: {LOCAL: 800}
        maxQueueSize: 256
        poolTimeoutMillis: 5000
        idleTimeoutSeconds: 120
        heartbeatIntervalSeconds: 30
"""
    )
    backend = config.metrics.backends[0]
    assert isinstance(backend, DatastaxMetricConfig)
    assert backend.schema_.type == "ng"
    assert backend.schema_.keyspace == "metrics_ks"
    assert backend.read_timeout.millis == 10_000
    assert backend.pooling_options.max_requests_per_connection == {"LOCAL": 1024, "REMOTE": 256}
    assert isinstance(backend.authentication, PlainAuthentication)


def test_datastax_password_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASSANDRA_PASSWORD", "s3cret")
    auth = PlainAuthentication(type="plain", password_env="CASSANDRA_PASSWORD")
    assert auth.resolve_password() == "s3cret"


def test_datastax_password_from_file(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-file\n")
    auth = PlainAuthentication(type="plain", password_file=str(secret))
    assert auth.resolve_password() == "from-file"


def test_memory_backends_load() -> None:
    config = HeroicConfig.from_yaml(
        """
metrics: {backends: [{type: memory, synchronizedStorage: true}]}
metadata: {backends: [{type: memory}]}
suggest: {backends: [{type: memory, numSuggestionsIntLimit: 400}]}
"""
    )
    assert isinstance(config.metrics.backends[0], MemoryMetricConfig)
    assert config.metrics.backends[0].groups == ["memory"]
    assert isinstance(config.metadata.backends[0], MemoryMetadataConfig)
    suggest = config.suggest.backends[0]
    assert isinstance(suggest, MemorySuggestConfig)
    assert suggest.effective_num_suggestions_limit() == 250


def test_elasticsearch_metadata_defaults() -> None:
    config = HeroicConfig.from_yaml(API_EXAMPLE)
    backend = config.metadata.backends[0]
    assert isinstance(backend, ElasticsearchMetadataConfig)
    assert backend.groups == ["elasticsearch"]
    assert backend.template_name == "heroic-metadata"
    assert backend.scroll_size == 1000
    assert backend.writes_per_second == 3000.0
    assert backend.backend_type == "kv"
    index = backend.connection.index
    assert isinstance(index, RotatingIndexConfig)
    assert index.interval.millis == 7 * 86_400_000
    assert index.max_read_indices == 2
    client = backend.connection.client
    assert isinstance(client, RestClientConfig)
    assert client.seeds == ["elasticsearch:9200"]
    assert client.sniff is False


def test_elasticsearch_transport_client_and_single_index() -> None:
    config = HeroicConfig.from_yaml(
        """
suggest:
  backends:
    - type: elasticsearch
      numSuggestionsLimit: 100
      templateName: custom
      connection:
        templateName: override
        index: {type: single, index: myindex, settings: {number_of_shards: 1}}
        client: {type: transport, clusterName: es, seeds: [es1], sniff: true,
                 nodeSamplerInterval: 5s}
"""
    )
    backend = config.suggest.backends[0]
    assert isinstance(backend, ElasticsearchSuggestConfig)
    assert backend.effective_template_name() == "override"
    assert backend.effective_num_suggestions_limit() == 100
    assert isinstance(backend.connection.index, SingleIndexConfig)
    assert backend.connection.index.settings == {"number_of_shards": 1}
    client = backend.connection.client
    assert isinstance(client, TransportClientConfig)
    assert client.cluster_name == "es"


def test_kafka_consumer_reference_variant() -> None:
    config = HeroicConfig.from_yaml(
        """
consumers:
  - type: kafka
    schema: com.spotify.heroic.consumer.schemas.Spotify100Proto
    topics: [metrics]
    threadsPerTopic: 1
    config: {group.id: heroic, zookeeper.connect: "zk:2181", auto.commit.enable: false,
             fetch.max: 5}
"""
    )
    consumer = config.consumers[0]
    assert isinstance(consumer, KafkaConsumerConfig)
    assert consumer.topics == ["metrics"]
    assert consumer.config["auto.commit.enable"] == "false"
    assert consumer.config["fetch.max"] == "5"
    assert consumer.transaction_commit_interval == 30_000


def test_kafka_secret_config_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_PASSWORD", "pw")
    consumer = KafkaConsumerConfig.model_validate(
        {
            "type": "kafka",
            "schema": "com.spotify.heroic.consumer.schemas.Spotify100",
            "topics": ["t"],
            "config": {"bootstrap.servers": "k:9092"},
            "configEnv": {"sasl.password": "KAFKA_PASSWORD"},
        }
    )
    assert consumer.resolved_config() == {"bootstrap.servers": "k:9092", "sasl.password": "pw"}


def test_pubsub_consumer_defaults() -> None:
    consumer = HeroicConfig.from_yaml(API_EXAMPLE).consumers[0]
    assert isinstance(consumer, PubSubConsumerConfig)
    assert consumer.threads_per_subscription == 8
    assert consumer.max_outstanding_element_count == 20_000
    assert consumer.max_inbound_message_size == 20_971_520
    assert consumer.keep_alive == 300


def test_node_level_keys() -> None:
    config = HeroicConfig.from_yaml(
        """
host: 127.0.0.1
port: 9000
enableCors: false
corsAllowOrigin: https://grafana.example
startTimeout: 2m
features: [com.spotify.heroic.deterministic_aggregations, -com.spotify.heroic.shift_range]
conditionalFeatures:
  type: match
  condition: {type: clientId, clientId: grafana}
  features: [com.spotify.heroic.cache_query]
metrics: {groupLimit: 10, seriesLimit: 100, aggregationLimit: 1000, dataLimit: 5000,
          concurrentQueriesBackoff: 4, fetchParallelism: 20, failOnLimits: true,
          smallQueryThreshold: 10, defaultBackends: [memory]}
ingestion: {updateSuggestions: false, maxConcurrentWrites: 10, filter: "role = web"}
cluster:
  id: 4f0b2c39-3d0f-4ddf-9e2c-000000000001
  useLocal: false
  discovery: {type: static, nodes: ["grpc://node1:9698"]}
cache: {type: memcached, addresses: ["mc:11211"], maxTtl: 1h}
statistics: {type: semantic}
queryLogging: {type: slf4j, name: query, level: INFO}
usageTracking: {type: disabled}
"""
    )
    assert (config.host, config.port, config.enable_cors) == ("127.0.0.1", 9000, False)
    assert config.start_timeout == Duration(2, "m")
    assert config.features[1] == "-com.spotify.heroic.shift_range"
    conditional = config.conditional_features
    assert isinstance(conditional, MatchConditionalFeatures)
    assert conditional.condition == ClientIdCondition(type="clientId", client_id="grafana")
    assert config.metrics.fail_on_limits is True
    assert config.metrics.default_backends == ["memory"]
    assert config.ingestion.filter == "role = web"
    assert config.cluster.discovery is not None
    assert isinstance(config.cluster.discovery[0], StaticDiscoveryConfig)
    assert config.query_logging == QueryLoggingConfig(type="slf4j", name="query", level="INFO")
    assert config.cache == MemcachedCacheConfig(
        type="memcached", addresses=["mc:11211"], max_ttl=Duration(1, "h")
    )


@pytest.mark.parametrize(
    ("text", "millis"),
    [
        ("500", 500),
        ("500ms", 500),
        ("30s", 30_000),
        ("5m", 300_000),
        ("2H", 7_200_000),
        ("1d", 86_400_000),
        ("2w", 14 * 86_400_000),
        (250, 250),
        ({"duration": 3, "unit": "SECONDS"}, 3000),
    ],
)
def test_duration_forms(text: object, millis: int) -> None:
    assert Duration.parse(text).millis == millis


def test_default_config_is_memory_everything_on_8080() -> None:
    config = HeroicConfig.default()
    assert config.port == 8080
    assert [b.type for b in config.metrics.backends] == ["memory"]
    assert [b.type for b in config.metadata.backends] == ["memory"]
    assert [b.type for b in config.suggest.backends] == ["memory"]


def test_empty_file_gives_defaults_without_backends(tmp_path: Path) -> None:
    path = tmp_path / "heroic.yml"
    path.write_text("")
    config = HeroicConfig.from_file(path)
    assert config.port == 8080
    assert config.metrics.backends == []


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read configuration file"):
        HeroicConfig.from_file(tmp_path / "absent.yml")
