"""Dumping a config in its wire form and loading it again gives the same config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from heroic_core.config import HeroicConfig

FULL = """
id: node-1
port: 8081
features: [-com.spotify.heroic.shift_range]
conditionalFeatures:
  type: list
  list:
    - type: match
      condition: {type: any, conditions: [{type: clientId, clientId: a}, {type: noop}]}
      features: [com.spotify.heroic.cache_query]
cluster:
  tags: {site: lon}
  discovery: {type: srv, records: [_heroic._tcp.example], protocol: grpc, port: 9698}
  protocols: [{type: grpc, port: 9000}]
  topology: [{site: lon}, {site: sto}]
metrics:
  seriesLimit: 100
  defaultBackends: [bigtable]
  backends:
    - type: bigtable
      project: p
      credentials: {type: json, path: /secrets/key.json}
    - type: datastax
      seeds: [cassandra]
      authentication: {type: plain, passwordFile: /secrets/cassandra}
      readTimeout: {duration: 45, unit: SECONDS}
    - {type: memory, groups: mem}
metadata:
  backends:
    - type: elasticsearch
      connection:
        index: {type: rotating, interval: 2w, maxReadIndices: 3}
        client: {type: transport, seeds: [es]}
suggest:
  backends: [{type: memory}, {type: elasticsearch}]
consumers:
  - type: kafka
    schema: com.spotify.heroic.consumer.schemas.Spotify100
    topics: [a, b]
    config: {group.id: g, enable.auto.commit: true}
  - type: pubsub
    schema: com.spotify.heroic.consumer.schemas.Spotify100Proto
    project: p
    topic: t
    subscription: s
    endpoint: pubsub:8085
cache: {type: memory}
shellServer: {}
tracing: {probability: 0.5}
"""


@pytest.mark.parametrize(
    "config",
    [HeroicConfig(), HeroicConfig.default(), HeroicConfig.from_yaml(FULL)],
    ids=["empty", "default", "full"],
)
def test_wire_form_round_trips(config: HeroicConfig) -> None:
    wire = config.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert HeroicConfig.from_dict(wire) == config


def test_yaml_file_round_trips(tmp_path: Path) -> None:
    config = HeroicConfig.from_yaml(FULL)
    path = tmp_path / "heroic.yml"
    path.write_text(config.to_yaml())
    assert HeroicConfig.from_file(path) == config


def test_wire_form_uses_upstream_key_names() -> None:
    wire = HeroicConfig.from_yaml(FULL).to_dict()
    datastax = wire["metrics"]["backends"][1]
    assert datastax["schema"] == {"type": "ng", "keyspace": "heroic"}
    assert datastax["readTimeout"] == "45s"
    assert wire["conditionalFeatures"]["list"][0]["condition"]["conditions"][0] == {
        "type": "clientId",
        "clientId": "a",
    }
    assert wire["metadata"]["backends"][0]["connection"]["index"]["interval"] == "14d"
    assert wire["shellServer"] == {"host": "localhost", "port": 9190}


def test_type_is_written_first() -> None:
    text = HeroicConfig.default().to_yaml()
    backend = yaml.safe_load(text)["metrics"]["backends"][0]
    assert next(iter(backend)) == "type"


def test_secrets_are_references_not_values() -> None:
    wire = HeroicConfig.from_yaml(FULL).to_dict()
    auth = wire["metrics"]["backends"][1]["authentication"]
    assert auth == {"type": "plain", "username": "cassandra", "passwordFile": "/secrets/cassandra"}


def test_json_schema_defaults_are_wire_values() -> None:
    schema = HeroicConfig.model_json_schema(by_alias=True)
    assert schema["properties"]["startTimeout"]["default"] == "5m"
    assert schema["$defs"]["RotatingIndexConfig"]["properties"]["interval"]["default"] == "7d"
    assert schema["$defs"]["BigtableMetricConfig"]["additionalProperties"] is False
