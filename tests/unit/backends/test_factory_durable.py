"""The factory builds the durable backends from heroic.yml without connecting anywhere."""

from __future__ import annotations

from heroic_core.backends.base import MetadataBackend, MetricBackend, SuggestBackend
from heroic_core.backends.bigtable.backend import BigtableMetricBackend
from heroic_core.backends.cassandra.backend import CassandraMetricBackend
from heroic_core.backends.elasticsearch.metadata import ElasticsearchMetadataBackend
from heroic_core.backends.elasticsearch.suggest import ElasticsearchSuggestBackend
from heroic_core.backends.factory import build_backends
from heroic_core.config import HeroicConfig

CONFIG = """
metrics:
  backends:
    - {type: bigtable, project: p, emulatorEndpoint: "127.0.0.1:1"}
    - {type: datastax, id: cass, seeds: ["127.0.0.1:1"], groups: [a, b]}
metadata:
  backends:
    - type: elasticsearch
      connection: {client: {type: rest, seeds: ["127.0.0.1:1"]}}
suggest:
  backends:
    - type: elasticsearch
      connection: {client: {type: rest, seeds: ["127.0.0.1:1"]}}
"""


def test_factory_builds_bigtable_cassandra_and_elasticsearch_backends() -> None:
    backends = build_backends(HeroicConfig.from_yaml(CONFIG))
    bigtable, cassandra = backends.metrics.members
    assert isinstance(bigtable, BigtableMetricBackend)
    assert isinstance(cassandra, CassandraMetricBackend)
    assert isinstance(bigtable, MetricBackend)
    assert isinstance(cassandra, MetricBackend)
    assert (bigtable.id, bigtable.groups) == ("bigtable#0", frozenset({"bigtable"}))
    assert (cassandra.id, cassandra.groups) == ("cass", frozenset({"a", "b"}))
    (metadata,) = backends.metadata.members
    (suggest,) = backends.suggest.members
    assert isinstance(metadata, ElasticsearchMetadataBackend)
    assert isinstance(metadata, MetadataBackend)
    assert isinstance(suggest, ElasticsearchSuggestBackend)
    assert isinstance(suggest, SuggestBackend)
    assert metadata.groups == frozenset({"elasticsearch"})
