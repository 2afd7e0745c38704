"""``KafkaDeadLetters``: publishes rejected messages to the dead-letter topic (confluent-kafka).

Each record keeps the original payload and carries headers naming the error, its category and
the original topic/partition/offset. ``publish`` returns only when the broker acknowledged every
record (``acks=all``) and raises otherwise, so the caller commits rejected messages only once
they are safe. Called on the Kafka source's client thread; never decodes anything.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from confluent_kafka import KafkaError, Producer

from heroic_consumer.sources.base import Rejected, SourceError

log = logging.getLogger(__name__)

#: Consumer-only settings that would just make the producer warn.
_CONSUMER_ONLY = ("group.", "auto.offset.reset", "enable.auto", "queued.", "fetch.", "session.")
FLUSH_SECONDS = 30


class KafkaDeadLetters:
    """A producer on the consumer's cluster, writing to one dead-letter topic."""

    def __init__(self, consumer_settings: Mapping[str, str], topic: str) -> None:
        conf: dict[str, Any] = {
            k: v for k, v in consumer_settings.items() if not k.startswith(_CONSUMER_ONLY)
        }
        conf.update({"acks": "all", "enable.idempotence": "true", "error_cb": _log_error})
        self.topic = topic
        self._producer = Producer(conf)

    def publish(self, rejected: Sequence[Rejected]) -> None:
        """Produce every rejected message and wait for the acknowledgements."""
        failures: list[str] = []

        def delivered(error: KafkaError | None, _message: object) -> None:
            if error is not None:
                failures.append(str(error))

        for item in rejected:
            m = item.message
            headers: list[tuple[str, str | bytes | None]] = [
                ("heroic.error", item.reason.encode()),
                ("heroic.category", item.category.encode()),
                ("heroic.topic", m.topic.encode()),
                ("heroic.partition", str(m.partition[1] if m.partition else -1).encode()),
                ("heroic.offset", str(m.offset).encode()),
            ]
            self._producer.produce(self.topic, value=m.payload, headers=headers,
                                   on_delivery=delivered)  # fmt: skip
        remaining = self._producer.flush(FLUSH_SECONDS)
        if remaining or failures:
            detail = failures[0] if failures else f"{remaining} not acknowledged"
            raise SourceError(f"dead-letter delivery to {self.topic} failed: {detail}")

    def close(self) -> None:
        self._producer.flush(10)


def _log_error(error: KafkaError) -> None:
    log.warning("Kafka dead-letter producer error: %s", error, extra={"code": error.name()})
