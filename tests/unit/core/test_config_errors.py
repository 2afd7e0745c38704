"""Bad heroic.yml input raises ConfigError naming the path of every problem."""

from __future__ import annotations

import pytest

from heroic_core.config import ConfigError, HeroicConfig
from heroic_core.errors import HeroicError


def problems(text: str) -> dict[str, str]:
    with pytest.raises(ConfigError) as info:
        HeroicConfig.from_yaml(text)
    return dict(info.value.problems)


def test_unknown_backend_key_names_its_path() -> None:
    found = problems("metrics: {backends: [{type: bigtable, project: p, tabel: metrics}]}")
    assert found == {"metrics.backends[0].tabel": "unknown key"}


def test_wrong_type_names_its_path() -> None:
    found = problems("metrics: {backends: [{type: bigtable, project: p, table: [a]}]}")
    assert list(found) == ["metrics.backends[0].table"]
    assert "string" in found["metrics.backends[0].table"]


def test_unknown_top_level_key() -> None:
    assert problems("prot: 8080") == {"prot": "unknown key"}


def test_every_problem_is_listed() -> None:
    found = problems(
        """
port: eighty
metadata:
  backends:
    - type: elasticsearch
      connection: {client: {type: rest, seeds: [a], snif: true}}
consumers:
  - {type: pubsub, schema: com.spotify.heroic.consumer.schemas.Spotify100, project: p, topic: t}
"""
    )
    assert set(found) == {
        "port",
        "metadata.backends[0].connection.client.snif",
        "consumers[0].subscription",
    }
    assert found["consumers[0].subscription"] == "missing required key"


def test_unknown_backend_type_lists_choices() -> None:
    found = problems("metrics: {backends: [{type: hbase}]}")
    message = found["metrics.backends[0].type"]
    assert "'hbase'" in message
    assert "bigtable" in message
    assert "datastax" in message


def test_missing_type_is_reported() -> None:
    found = problems("suggest: {backends: [{numSuggestionsLimit: 5}]}")
    assert "suggest.backends[0].type" in found


def test_required_bigtable_project() -> None:
    assert problems("metrics: {backends: [{type: bigtable}]}") == {
        "metrics.backends[0].project": "missing required key"
    }


def test_bad_duration_is_explained() -> None:
    found = problems(
        "metadata: {backends: [{type: elasticsearch, connection: "
        "{index: {type: rotating, interval: 7y}}}]}"
    )
    assert found == {
        "metadata.backends[0].connection.index.interval": "invalid unit (y) in duration: '7y'"
    }


def test_kafka_needs_topics() -> None:
    found = problems(
        "consumers: [{type: kafka, schema: com.spotify.heroic.consumer.schemas.Spotify100, "
        "topics: []}]"
    )
    assert list(found) == ["consumers[0].topics"]


def test_kafka_transactional_with_auto_commit_is_rejected() -> None:
    found = problems(
        "consumers: [{type: kafka, schema: com.spotify.heroic.consumer.schemas.Spotify100, "
        "topics: [t], transactional: true, config: {auto.commit.enable: true}}]"
    )
    assert "auto.commit.enable" in found["consumers[0]"]


def test_kafka_threads_per_topic_above_one_is_refused_with_what_to_do() -> None:
    found = problems(
        "consumers: [{type: kafka, schema: com.spotify.heroic.consumer.schemas.Spotify100, "
        "topics: [t], threadsPerTopic: 2}]"
    )
    message = found["consumers[0].threadsPerTopic"]
    assert message.startswith("2 is not supported")
    assert "replicas" in message


def test_unknown_consumer_schema() -> None:
    found = problems(
        "consumers: [{type: pubsub, schema: com.example.Mine, project: p, topic: t, "
        "subscription: s}]"
    )
    assert "Spotify100" in found["consumers[0].schema"]


def test_unknown_feature() -> None:
    found = problems("features: [com.spotify.heroic.time_travel]")
    assert "unknown feature 'com.spotify.heroic.time_travel'" in found["features"]


def test_datastax_plain_authentication_needs_one_password_source() -> None:
    found = problems(
        "metrics: {backends: [{type: datastax, authentication: {type: plain, username: u}}]}"
    )
    assert "exactly one of password" in found["metrics.backends[0].authentication"]


def test_negative_limit_is_rejected() -> None:
    assert list(problems("metrics: {seriesLimit: -1}")) == ["metrics.seriesLimit"]


def test_top_level_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        HeroicConfig.from_yaml("- a\n- b\n")


def test_invalid_yaml_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"invalid YAML in heroic\.yml"):
        HeroicConfig.from_yaml("metrics: [", source="heroic.yml")


def test_config_error_is_a_heroic_error_with_paths_in_message() -> None:
    with pytest.raises(HeroicError) as info:
        HeroicConfig.from_yaml("metrics: {backends: [{type: memory, colour: red}]}")
    assert "metrics.backends[0].colour: unknown key" in str(info.value)
