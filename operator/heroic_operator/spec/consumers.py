"""``spec.consumers``: consumer groups, each reading Kafka or Pub/Sub and performing some of the
three writes. Pure data; the rendered consumer config is built in ``render.py``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from heroic_operator.spec.common import SecretKeyRef, SpecModel, Tier

Schema = Literal["Spotify100", "Spotify100Proto"]
Write = Literal["metrics", "metadata", "suggest"]
ALL_WRITES: tuple[Write, ...] = ("metrics", "metadata", "suggest")


class KafkaSecretSetting(SpecModel):
    """A Kafka client setting (``sasl.password``) whose value comes from a Secret."""

    key: str = Field(min_length=1)
    secret_key_ref: SecretKeyRef


class KafkaTopicCreation(SpecModel):
    """Create the group's missing topics in a configure Job (existing ones are left alone);
    unset numbers mean the broker's defaults."""

    partitions: int | None = Field(default=None, ge=1)
    replication_factor: int | None = Field(default=None, ge=1)


class KafkaSource(SpecModel):
    bootstrap_servers: list[str] = Field(min_length=1)
    topics: list[str] = Field(min_length=1)
    group_id: str | None = None
    schema_: Schema = Field(default="Spotify100", alias="schema")
    threads_per_topic: int = Field(default=2, ge=1)
    config: dict[str, str] = Field(default_factory=dict)
    config_from_secrets: list[KafkaSecretSetting] = Field(default_factory=list)
    create_topics: KafkaTopicCreation | None = None


class PubSubSource(SpecModel):
    """A Pub/Sub subscription; its ``topic`` cannot change while the subscription name stays."""

    project: str = Field(min_length=1)
    topic: str = Field(min_length=1)
    subscription: str = Field(min_length=1)
    schema_: Schema = Field(default="Spotify100", alias="schema")
    endpoint: str | None = None
    threads_per_subscription: int = Field(default=8, ge=1)
    credentials_secret_ref: SecretKeyRef | None = None


class ConsumerSource(SpecModel):
    kafka: KafkaSource | None = None
    pubsub: PubSubSource | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ConsumerSource:
        if (self.kafka is None) == (self.pubsub is None):
            raise ValueError("set exactly one of source.kafka and source.pubsub")
        return self


class ConsumerGroup(Tier):
    name: str = Field(pattern=r"^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$")
    source: ConsumerSource
    writes: list[Write] = Field(default_factory=lambda: list(ALL_WRITES), min_length=1)

    @model_validator(mode="after")
    def _unique_writes(self) -> ConsumerGroup:
        if len(set(self.writes)) != len(self.writes):
            raise ValueError("writes must not repeat an entry")
        return self
