"""Message sources of the consumer node: Kafka and Pub/Sub behind one ``MessageSource`` Protocol.

``build_source(config, ...)`` picks the implementation by the consumer's ``type``; client
libraries are imported only when their source is built.
"""

from __future__ import annotations

from heroic_consumer.sources.base import MessageSource
from heroic_core.config import ConsumerConfig, KafkaConsumerConfig, PubSubConsumerConfig


class UnsupportedSourceError(ValueError):
    """The configured consumer type has no implementation here."""


def build_source(config: ConsumerConfig, dead_letter_topic: str | None = None) -> MessageSource:
    """The source for one ``consumers:`` entry (kafka or pubsub)."""
    if isinstance(config, KafkaConsumerConfig):
        from heroic_consumer.sources.kafka import KafkaSource  # noqa: PLC0415 - optional dep

        return KafkaSource(config, dead_letter_topic)
    if isinstance(config, PubSubConsumerConfig):
        from heroic_consumer.sources.pubsub import PubSubSource  # noqa: PLC0415 - optional dep

        return PubSubSource(config, dead_letter_topic)
    raise UnsupportedSourceError(f"consumer type {config.type} is not supported by this node")
