"""The ``consumers`` section: a consumer group's input, Kafka or Pub/Sub."""

from __future__ import annotations

from typing import Any

from heroic_operator import naming
from heroic_operator.desired.render import SecretUse, Section
from heroic_operator.spec import Cluster, ConsumerGroup

SCHEMAS = {
    "Spotify100": "com.spotify.heroic.consumer.schemas.Spotify100",
    "Spotify100Proto": "com.spotify.heroic.consumer.schemas.Spotify100Proto",
}
GOOGLE_CREDENTIALS_ENV = "GOOGLE_APPLICATION_CREDENTIALS"


def source_section(
    cluster: Cluster, group: ConsumerGroup, *, topic_creation: bool = False
) -> Section:
    """``consumers[0]`` for one consumer group, with the Secrets and variables it reads.

    ``topic_creation`` adds the settings new Kafka topics are created with: only the configure
    Job sees them, so changing them rolls no consumer pods."""
    kafka, pubsub = group.source.kafka, group.source.pubsub
    if kafka is not None:
        config = {
            "bootstrap.servers": ",".join(kafka.bootstrap_servers),
            "group.id": kafka.group_id or f"{cluster.name}-{group.name}",
            **kafka.config,
        }
        env = {s.key: naming.env_name("HEROIC_KAFKA", s.key) for s in kafka.config_from_secrets}
        out: dict[str, Any] = {"type": "kafka", "schema": SCHEMAS[kafka.schema_]}
        out["topics"] = list(kafka.topics)
        out |= {"config": config, "configEnv": env}
        creation = kafka.create_topics if topic_creation else None
        if creation is not None and creation.partitions is not None:
            out["topicPartitions"] = creation.partitions
        if creation is not None and creation.replication_factor is not None:
            out["topicReplicationFactor"] = creation.replication_factor
        uses = tuple(SecretUse(s.secret_key_ref, env=env[s.key]) for s in kafka.config_from_secrets)
        return _section(out, uses)
    assert pubsub is not None  # noqa: S101 - ConsumerSource guarantees one source
    out = {"type": "pubsub", "schema": SCHEMAS[pubsub.schema_], "project": pubsub.project}
    out |= {"topic": pubsub.topic, "subscription": pubsub.subscription}
    out["threadsPerSubscription"] = pubsub.threads_per_subscription
    if pubsub.max_outstanding_element_count is not None:
        out["maxOutstandingElementCount"] = pubsub.max_outstanding_element_count
    if pubsub.max_outstanding_request_bytes is not None:
        out["maxOutstandingRequestBytes"] = pubsub.max_outstanding_request_bytes
    if pubsub.endpoint:
        out["endpoint"] = pubsub.endpoint
    if pubsub.credentials_secret_ref is None:
        return _section(out, ())
    use = SecretUse(pubsub.credentials_secret_ref)
    return _section(out, (use,), ((GOOGLE_CREDENTIALS_ENV, use.path),))


def _section(
    source: dict[str, Any], uses: tuple[SecretUse, ...], env: tuple[tuple[str, str], ...] = ()
) -> Section:
    return Section({"consumers": [source]}, uses, env)
