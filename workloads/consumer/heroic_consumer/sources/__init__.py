"""Message sources of the consumer node: Kafka and Pub/Sub behind one ``MessageSource`` Protocol.

``build_sources(config, ...)`` picks the implementation by the consumer's ``type`` and returns
one source per pipeline: one for Kafka (a process is one group member; replicas scale), and
``threadsPerSubscription`` for Pub/Sub, pulling in parallel under one shared flow control
(pulls and acknowledgements wait on the network, so parallel pullers multiply throughput until
the process's one core is busy). Client libraries are imported only when their source is built.
"""

from __future__ import annotations

from heroic_consumer.sources.base import MessageSource
from heroic_core.config import ConsumerConfig, KafkaConsumerConfig, PubSubConsumerConfig


class UnsupportedSourceError(ValueError):
    """The configured consumer type has no implementation here."""


def build_sources(
    config: ConsumerConfig, dead_letter_topic: str | None = None
) -> list[MessageSource]:
    """The sources for one ``consumers:`` entry (kafka or pubsub), one per pipeline."""
    if isinstance(config, KafkaConsumerConfig):
        from heroic_consumer.sources.kafka import KafkaSource  # noqa: PLC0415 - optional dep

        return [KafkaSource(config, dead_letter_topic)]
    if isinstance(config, PubSubConsumerConfig):
        from heroic_consumer.sources.pubsub import (  # noqa: PLC0415 - optional dep
            PubSubSource,
            flow_control_for,
        )

        flow = flow_control_for(config)
        return [
            PubSubSource(config, dead_letter_topic, flow)
            for _ in range(config.threads_per_subscription)
        ]
    raise UnsupportedSourceError(f"consumer type {config.type} is not supported by this node")
