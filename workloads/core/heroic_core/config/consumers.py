"""The ``consumers:`` section: kafka, pubsub and collectd consumers (reference 7).

Describes configuration only. Secrets: Kafka client settings that are secret (``sasl.password``)
can come from environment variables through ``configEnv`` (our extension); Pub/Sub authenticates
with application-default credentials (``GOOGLE_APPLICATION_CREDENTIALS``), never the file.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from heroic_core.config.common import ConfigModel

SPOTIFY100 = "com.spotify.heroic.consumer.schemas.Spotify100"
SPOTIFY100_PROTO = "com.spotify.heroic.consumer.schemas.Spotify100Proto"

#: The message schemas upstream ships (reference 7.1).
ConsumerSchema = Literal[
    "com.spotify.heroic.consumer.schemas.Spotify100",
    "com.spotify.heroic.consumer.schemas.Spotify100Proto",
]


def _stringify_scalars(value: object) -> object:
    """Jackson reads ``Map<String, String>`` scalars as text; YAML gives us bools/numbers."""
    if not isinstance(value, dict):
        return value
    out: dict[Any, Any] = {}
    for k, v in value.items():
        if isinstance(v, bool):
            out[k] = "true" if v else "false"
        elif isinstance(v, int | float):
            out[k] = str(v)
        else:
            out[k] = v
    return out


StringMap = Annotated[dict[str, str], BeforeValidator(_stringify_scalars)]


#: Why ``threadsPerTopic`` above 1 is refused (measured in docs/compatibility.md, "Consumer").
THREADS_PER_TOPIC_REFUSED = (
    "a consumer process runs one Kafka consumer: its work is Python under one interpreter lock, "
    "so more group members in one process add no throughput. Scale with more consumer "
    "processes (replicas) in the same group.id, and leave threadsPerTopic out (or set it to 1)"
)


class KafkaConsumerConfig(ConfigModel):
    """``type: kafka`` (reference 7.2). ``config`` goes verbatim to the Kafka client;
    ``configEnv`` maps further client settings to environment variable names.
    ``topicPartitions`` and ``topicReplicationFactor`` (extensions) are what ``heroic
    configure`` creates missing topics with (default: the broker's defaults).
    ``threadsPerTopic`` accepts only 1 (replicas are the unit of scale); ``transactional``
    makes the consumer commit at most every ``transactionCommitInterval`` ms."""

    type: Literal["kafka"]
    id: str | None = None
    schema_: ConsumerSchema = Field(alias="schema")
    topics: list[str] = Field(min_length=1)
    threads_per_topic: int = Field(default=1, ge=1)
    config: StringMap = Field(default_factory=dict)
    config_env: dict[str, str] = Field(default_factory=dict)
    transactional: bool = False
    transaction_commit_interval: int = Field(default=30_000, ge=1)
    topic_partitions: int | None = Field(default=None, ge=1)
    topic_replication_factor: int | None = Field(default=None, ge=1)

    @field_validator("threads_per_topic")
    @classmethod
    def _one_thread_per_process(cls, value: int) -> int:
        if value != 1:
            raise ValueError(f"{value} is not supported: {THREADS_PER_TOPIC_REFUSED}")
        return value

    @model_validator(mode="after")
    def _transactional_needs_manual_commit(self) -> KafkaConsumerConfig:
        if self.transactional and self.config.get("auto.commit.enable") == "true":
            raise ValueError("transactional: true cannot be used with auto.commit.enable=true")
        return self

    def resolved_config(self) -> dict[str, str]:
        """``config`` plus the ``configEnv`` values read from the environment now."""
        out = dict(self.config)
        for key, env_name in self.config_env.items():
            value = os.environ.get(env_name)
            if value is None:
                raise ValueError(f"environment variable {env_name} (for {key}) is not set")
            out[key] = value
        return out


class PubSubConsumerConfig(ConfigModel):
    """``type: pubsub`` (reference 7.3). ``endpoint`` (or ``PUBSUB_EMULATOR_HOST``) selects
    an emulator. ``threadsPerSubscription`` pipelines pull in parallel; ``maxOutstanding*``
    bound the messages (and bytes) they hold unacknowledged, together."""

    type: Literal["pubsub"]
    id: str | None = None
    schema_: ConsumerSchema = Field(alias="schema")
    project: str
    topic: str
    subscription: str
    threads_per_subscription: int = Field(default=8, ge=1)
    max_outstanding_element_count: int = Field(default=20_000, ge=1)
    max_outstanding_request_bytes: int = Field(default=1_000_000_000, ge=1)
    max_inbound_message_size: int = Field(default=20 * 1024 * 1024, ge=1)
    keep_alive: int = Field(default=300, ge=1)
    endpoint: str | None = None

    def effective_endpoint(self) -> str | None:
        """``endpoint``, else ``PUBSUB_EMULATOR_HOST`` from the environment."""
        return self.endpoint or os.environ.get("PUBSUB_EMULATOR_HOST") or None


class CollectdConsumerConfig(ConfigModel):
    """``type: collectd`` (UDP collectd protocol; accepted, not implemented here)."""

    type: Literal["collectd"]
    id: str | None = None
    host: str | None = None
    port: int = Field(default=25826, ge=1, le=65535)
    host_pattern: str | None = None
    types: Any = None


ConsumerConfig = Annotated[
    KafkaConsumerConfig | PubSubConsumerConfig | CollectdConsumerConfig,
    Field(discriminator="type"),
]
