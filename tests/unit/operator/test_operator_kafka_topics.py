"""``source.kafka.createTopics``: a ``kafka-<group>`` configure Job creates the group's missing
topics; the group's consumers wait for it; topic settings reach only the Job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from heroic_operator import naming
from heroic_operator.configure.gating import gate_components
from heroic_operator.desired.components import components, configure_targets
from heroic_operator.spec import Cluster
from tests.unit.operator.test_operator_gating import plans


def with_topic_creation(cluster: Callable[..., Cluster], creation: dict[str, Any]) -> Cluster:
    full = cluster("full")
    body = full.spec.model_dump(by_alias=True, exclude_none=True)
    body["consumers"][0]["source"]["kafka"]["createTopics"] = creation
    return cluster("full", consumers=body["consumers"])


def kafka_target_config(parsed: Cluster) -> dict[str, Any]:
    (target,) = [t for t in configure_targets(parsed) if t.key == "kafka-kafka"]
    assert target.backend == "kafka"
    config: dict[str, Any] = yaml.safe_load(target.rendered.text)
    return config


def test_no_kafka_job_unless_asked(cluster: Callable[..., Cluster]) -> None:
    full = cluster("full")
    assert not [t for t in configure_targets(full) if t.backend == "kafka"]
    consumer = next(c for c in components(full) if c.name == "consumer-kafka")
    assert "kafka-kafka" not in consumer.targets


def test_the_job_creates_topics_with_the_spec_settings(cluster: Callable[..., Cluster]) -> None:
    parsed = with_topic_creation(cluster, {"partitions": 12, "replicationFactor": 3})
    (source,) = kafka_target_config(parsed)["consumers"]
    assert source["topics"] == ["metrics"]
    assert (source["topicPartitions"], source["topicReplicationFactor"]) == (12, 3)
    assert source["config"]["bootstrap.servers"] == "kafka-0.kafka:9092,kafka-1.kafka:9092"
    (target,) = [t for t in configure_targets(parsed) if t.key == "kafka-kafka"]
    # The SASL password reaches the Job as the variable its config names, from the Secret.
    assert [(u.ref.name, u.env) for u in target.rendered.secrets] == [
        ("kafka-credentials", source["configEnv"]["sasl.password"])
    ]


def test_broker_defaults_when_no_numbers_are_given(cluster: Callable[..., Cluster]) -> None:
    (source,) = kafka_target_config(with_topic_creation(cluster, {}))["consumers"]
    assert "topicPartitions" not in source
    assert "topicReplicationFactor" not in source


def test_topic_settings_do_not_touch_the_consumer_config(cluster: Callable[..., Cluster]) -> None:
    few = with_topic_creation(cluster, {"partitions": 3})
    many = with_topic_creation(cluster, {"partitions": 30})

    def consumer_text(parsed: Cluster) -> str:
        return next(c for c in components(parsed) if c.name == "consumer-kafka").rendered.text

    assert consumer_text(few) == consumer_text(many)
    assert "topicPartitions" not in consumer_text(few)
    assert kafka_target_config(few) != kafka_target_config(many)


def test_the_consumers_wait_for_their_topics(cluster: Callable[..., Cluster]) -> None:
    parsed = with_topic_creation(cluster, {"partitions": 12})
    others = {"bigtable", "elasticsearch", "pubsub-ps"}
    gate = gate_components(components(parsed), plans(parsed, others), {})
    assert gate.waiting == {"consumer-kafka": ["kafka-kafka"]}
    assert naming.config_key("consumer-kafka") not in gate.config_data
    done = gate_components(components(parsed), plans(parsed, others | {"kafka-kafka"}), {})
    assert done.waiting == {}
