"""Rendered heroic.yml files: loadable by the workloads' own model, backends as specified."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from heroic_core.config import HeroicConfig
from heroic_operator.desired.components import (
    components,
    configure_targets,
    forget_rendering,
    referenced_secrets,
    render_cluster,
)
from heroic_operator.desired.render import to_text
from heroic_operator.errors import InvalidSpec
from heroic_operator.spec import Cluster, SecretKeyRef


def _by_name(cluster: Cluster) -> dict[str, Any]:
    return {c.name: c for c in components(cluster)}


@pytest.mark.parametrize("name", ["memory", "full", "cassandra"])
def test_every_rendered_file_round_trips_through_heroic_config(
    cluster: Callable[..., Cluster], name: str
) -> None:
    parsed = cluster(name)
    rendered = [c.rendered for c in components(parsed)]
    rendered += [t.rendered for t in configure_targets(parsed)]
    for item in rendered:
        loaded = HeroicConfig.from_yaml(item.text)
        assert to_text(loaded) == item.text
        assert item.memory_backends == tuple(loaded.memory_backends())


def test_a_rendering_is_reused_until_the_spec_changes_or_the_cluster_goes(
    cluster: Callable[..., Cluster],
) -> None:
    first = render_cluster(cluster("memory"))
    assert render_cluster(cluster("memory")) is first
    changed = render_cluster(cluster("memory", image="ghcr.io/example/heroic:0.2.0"))
    assert changed is not first
    parsed = cluster("memory")
    forget_rendering(parsed.namespace, parsed.name)
    again = render_cluster(parsed)
    assert again is not first
    assert again.components[0].rendered.text == first.components[0].rendered.text


def test_bigtable_credentials_are_a_mounted_file(cluster: Callable[..., Cluster]) -> None:
    api = _by_name(cluster("full"))["api"]
    backend = yaml.safe_load(api.rendered.text)["metrics"]["backends"][0]
    assert backend["type"] == "bigtable"
    assert backend["credentials"] == {
        "type": "json",
        "path": "/var/run/secrets/heroic/gcp-credentials/key.json",
    }
    assert backend["configure"] is False


def test_in_cluster_elasticsearch_uses_the_headless_service_and_sniffs(
    cluster: Callable[..., Cluster],
) -> None:
    api = yaml.safe_load(_by_name(cluster("full"))["api"].rendered.text)
    client = api["metadata"]["backends"][0]["connection"]["client"]
    assert client["seeds"] == ["full-heroic-es-main.ns.svc:9200"]
    assert client["sniff"] is True


def test_external_elasticsearch_seeds_do_not_sniff_by_default(
    cluster: Callable[..., Cluster],
) -> None:
    api = yaml.safe_load(_by_name(cluster("cassandra"))["api"].rendered.text)
    client = api["metadata"]["backends"][0]["connection"]["client"]
    assert client == {**client, "seeds": ["es.example.com:9200"], "sniff": False}


def test_cassandra_password_comes_from_the_environment(cluster: Callable[..., Cluster]) -> None:
    api = _by_name(cluster("cassandra"))["api"]
    backend = yaml.safe_load(api.rendered.text)["metrics"]["backends"][0]
    assert backend["authentication"] == {
        "type": "plain",
        "username": "heroic",
        "passwordEnv": "HEROIC_CASSANDRA_PASSWORD",
    }
    assert "password" not in backend["authentication"]
    assert backend["schema"]["replication"] == {"class": "NetworkTopologyStrategy", "dc1": 3}


def test_kafka_consumer_config(cluster: Callable[..., Cluster]) -> None:
    group = _by_name(cluster("full"))["consumer-kafka"]
    consumer = yaml.safe_load(group.rendered.text)["consumers"][0]
    assert consumer["schema"] == "com.spotify.heroic.consumer.schemas.Spotify100"
    assert consumer["config"]["bootstrap.servers"] == "kafka-0.kafka:9092,kafka-1.kafka:9092"
    assert consumer["config"]["group.id"] == "heroic"
    assert consumer["configEnv"] == {"sasl.password": "HEROIC_KAFKA_SASL_PASSWORD"}
    assert "sasl.password" not in consumer["config"]


def test_kafka_group_id_defaults_to_cluster_and_group(cluster: Callable[..., Cluster]) -> None:
    group = _by_name(cluster("memory"))["consumer-main"]
    consumer = yaml.safe_load(group.rendered.text)["consumers"][0]
    assert consumer["config"]["group.id"] == "mem-main"


@pytest.mark.parametrize(
    ("writes", "sections", "flags"),
    [
        (["metrics"], {"metrics"}, (True, False, False)),
        (["metadata", "suggest"], {"metadata", "suggest"}, (False, True, True)),
        (
            ["metrics", "metadata", "suggest"],
            {"metrics", "metadata", "suggest"},
            (True, True, True),
        ),
    ],
)
def test_consumer_writes_select_backends_and_ingestion_flags(
    cluster: Callable[..., Cluster], writes: list[str], sections: set[str], flags: tuple[bool, ...]
) -> None:
    group = {
        "name": "g",
        "writes": writes,
        "source": {"kafka": {"bootstrapServers": ["k:9092"], "topics": ["t"]}},
    }
    rendered = yaml.safe_load(
        _by_name(cluster("memory", consumers=[group]))["consumer-g"].rendered.text
    )
    present = {s for s in ("metrics", "metadata", "suggest") if rendered[s]["backends"]}
    assert present == sections
    ingestion = rendered["ingestion"]
    assert (
        ingestion["updateMetrics"],
        ingestion["updateMetadata"],
        ingestion["updateSuggestions"],
    ) == flags


def test_spec_config_is_merged_under_the_operator_sections(cluster: Callable[..., Cluster]) -> None:
    api = yaml.safe_load(_by_name(cluster("full"))["api"].rendered.text)
    assert api["features"] == ["com.spotify.heroic.deterministic_aggregations"]
    assert api["metrics"]["seriesLimit"] == 20000
    assert api["metrics"]["backends"][0]["type"] == "bigtable"
    assert api["port"] == 8080


def test_invalid_spec_config_is_an_invalid_spec(cluster: Callable[..., Cluster]) -> None:
    with pytest.raises(InvalidSpec, match="features") as raised:
        components(cluster("memory", config={"features": ["no.such.feature"]}))
    assert raised.value.reason == "InvalidConfig"


def test_referenced_secrets_are_deduplicated(cluster: Callable[..., Cluster]) -> None:
    assert referenced_secrets(cluster("full")) == [
        SecretKeyRef(name="gcp-credentials", key="key.json"),
        SecretKeyRef(name="kafka-credentials", key="password"),
    ]
