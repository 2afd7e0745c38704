"""``spec.consumers``: consumer groups, each reading Kafka or Pub/Sub and performing some of the
three writes. Pure data; the consumer config is rendered in ``desired/backends/sources.py``."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from heroic_operator.spec.backends import SHORT_NAME
from heroic_operator.spec.common import Entry, PodOverrides, SecretKeyRef, SpecModel, Tier
from heroic_operator.spec.markers import LIST_SET, rule, validations

Schema = Literal["Spotify100", "Spotify100Proto"]
Write = Literal["metrics", "metadata", "suggest"]
ALL_WRITES: tuple[Write, ...] = ("metrics", "metadata", "suggest")


class KafkaSecretSetting(SpecModel):
    """A client setting read from a Secret"""

    key: str = Field(min_length=1, max_length=200)
    """Client setting, e.g. sasl.password"""
    secret_key_ref: SecretKeyRef
    """Where the value is"""


class KafkaTopicCreation(SpecModel):
    """Create missing topics in a configure Job (existing topics are never altered); unset
    numbers mean the broker's defaults"""

    partitions: int | None = Field(default=None, ge=1)
    """Partitions of a new topic"""
    replication_factor: int | None = Field(default=None, ge=1)
    """Replication factor of a new topic"""


class KafkaSource(SpecModel):
    """Consume from Kafka: each pod is one member of the consumer group (one Python process
    uses one core), so the group's replicas (or autoscaling) set the parallelism, up to the
    topics' partition count"""

    bootstrap_servers: list[Entry] = Field(min_length=1, max_length=64)
    """Brokers, host:port"""
    topics: list[Entry] = Field(min_length=1, max_length=64)
    """Topics"""
    group_id: str | None = Field(default=None, max_length=200)
    """Consumer group id (default <cluster>-<group>)"""
    schema_: Schema = Field(default="Spotify100", alias="schema")
    """Message schema"""
    config: dict[str, str] = Field(default_factory=dict)
    """Further client settings (not secrets)"""
    config_from_secrets: list[KafkaSecretSetting] = Field(default_factory=list, max_length=20)
    """Client settings whose values are Secrets"""
    create_topics: KafkaTopicCreation | None = None


class PubSubSource(SpecModel):
    """Consume from a Pub/Sub subscription (created by the configure Job)"""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "self.subscription != oldSelf.subscription || self.topic == oldSelf.topic",
                "source.pubsub.topic cannot change for an existing subscription (Pub/Sub binds "
                "a subscription to its topic); also change source.pubsub.subscription to "
                "consume another topic (the old subscription is left untouched)",
            )
        )
    )

    project: str = Field(min_length=1, max_length=100)
    """GCP project"""
    topic: str = Field(min_length=1, max_length=255)
    """Topic"""
    subscription: str = Field(min_length=1, max_length=255)
    """Subscription"""
    schema_: Schema = Field(default="Spotify100", alias="schema")
    """Message schema"""
    endpoint: str | None = Field(default=None, max_length=256)
    """host:port of a Pub/Sub emulator (tests)"""
    threads_per_subscription: int = Field(default=8, ge=1, le=64)
    """Pipelines per pod pulling the subscription in parallel (pulls and acknowledgements
    wait on the network; more pods add cores)"""
    max_outstanding_element_count: int | None = Field(default=None, ge=1)
    """Most messages a pod holds unacknowledged, over all its pipelines (default 20000)"""
    max_outstanding_request_bytes: int | None = Field(default=None, ge=1)
    """Most message bytes a pod holds unacknowledged (default 1000000000)"""
    credentials_secret_ref: SecretKeyRef | None = None
    """Service account JSON key (else workload identity / application-default credentials)"""


class ConsumerSource(SpecModel):
    """Where the group reads from: exactly one of kafka and pubsub"""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "has(self.kafka) != has(self.pubsub)",
                "set exactly one of source.kafka and source.pubsub",
            )
        )
    )

    kafka: KafkaSource | None = None
    pubsub: PubSubSource | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ConsumerSource:
        if (self.kafka is None) == (self.pubsub is None):
            raise ValueError("set exactly one of source.kafka and source.pubsub")
        return self


class ConsumerGroup(Tier):
    """A consumer group: one Deployment reading one source"""

    name: str = Field(pattern=SHORT_NAME, max_length=15)
    """Short name (part of child names)"""
    pod_template: PodOverrides = Field(default_factory=PodOverrides)
    """Overrides merged into the consumer pod template"""
    source: ConsumerSource
    writes: list[Write] = Field(
        default_factory=lambda: list(ALL_WRITES),
        min_length=1,
        max_length=3,
        json_schema_extra=LIST_SET,
    )
    """Writes this group performs (default: all three)"""

    @model_validator(mode="after")
    def _unique_writes(self) -> ConsumerGroup:
        if len(set(self.writes)) != len(self.writes):
            raise ValueError("writes must not repeat an entry")
        return self
