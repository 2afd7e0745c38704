"""``heroic configure`` for the consumers: Kafka topics, the Pub/Sub topic and subscription.

Only what the consumers read from is created here (the storage backends are
``heroic_core.configure``'s); ``heroic configure`` runs both. Missing topics and subscriptions are
created, existing ones are left as they are. Failures are ``BackendUnavailableError`` (retry
later) or ``BackendRejectedError`` (fix the configuration or permissions), as for the backends.
The client libraries are imported only when a configuration uses them; nothing is consumed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Iterator
from typing import Any

from heroic_core.backends.errors import BackendError, BackendRejectedError, BackendUnavailableError
from heroic_core.backends.results import ConfigureResult
from heroic_core.config import HeroicConfig, KafkaConsumerConfig, PubSubConsumerConfig
from heroic_core.configure import Job

#: The consumer targets ``--only`` can select, in the order configure visits them.
CONSUMER_TARGETS = ("pubsub", "kafka")


def consumer_jobs(config: HeroicConfig, selected: Collection[str], timeout: float) -> Iterator[Job]:
    """The jobs of the ``selected`` consumer targets, in configuration order."""
    for consumer in config.consumers:
        if consumer.type == "pubsub" and "pubsub" in selected:
            yield "pubsub", consumer.id or consumer.subscription, _pubsub(consumer, timeout)
        elif consumer.type == "kafka" and "kafka" in selected:
            yield "kafka", consumer.id or ",".join(consumer.topics), _kafka(consumer, timeout)


def _pubsub(cfg: PubSubConsumerConfig, timeout: float) -> Callable[[], Awaitable[ConfigureResult]]:
    async def run() -> ConfigureResult:
        return await asyncio.to_thread(_ensure_pubsub, cfg, timeout)

    return run


def _kafka(cfg: KafkaConsumerConfig, timeout: float) -> Callable[[], Awaitable[ConfigureResult]]:
    async def run() -> ConfigureResult:
        return await asyncio.to_thread(_ensure_kafka, cfg, timeout)

    return run


def _ensure_pubsub(cfg: PubSubConsumerConfig, timeout: float) -> ConfigureResult:
    """Create the topic and the pull subscription if missing (blocking; run in a thread)."""
    from google.api_core import exceptions as gexc  # noqa: PLC0415 - Pub/Sub configs only
    from google.api_core.retry import Retry  # noqa: PLC0415
    from google.cloud.pubsub import PublisherClient, SubscriberClient  # noqa: PLC0415

    from heroic_core.backends.google_clients import (  # noqa: PLC0415
        environment_variable,
        google_error,
    )

    created: list[str] = []
    existing: list[str] = []
    options = {"retry": Retry(timeout=timeout), "timeout": timeout}
    try:
        with environment_variable("PUBSUB_EMULATOR_HOST", cfg.effective_endpoint()):
            publisher = PublisherClient()
            subscriber = SubscriberClient()
        topic = publisher.topic_path(cfg.project, cfg.topic)
        subscription = subscriber.subscription_path(cfg.project, cfg.subscription)
        try:
            publisher.get_topic(request={"topic": topic}, **options)
            existing.append(f"pubsub topic {topic}")
        except gexc.NotFound:
            publisher.create_topic(request={"name": topic}, **options)
            created.append(f"pubsub topic {topic}")
        try:
            subscriber.get_subscription(request={"subscription": subscription}, **options)
            existing.append(f"pubsub subscription {subscription}")
        except gexc.NotFound:
            request = {"name": subscription, "topic": topic}
            subscriber.create_subscription(request=request, **options)
            created.append(f"pubsub subscription {subscription}")
        subscriber.close()
    except Exception as exc:
        where = cfg.effective_endpoint() or "pubsub.googleapis.com"
        raise google_error(exc, f"pubsub {cfg.project} at {where}: configure failed") from exc
    return ConfigureResult(tuple(created), tuple(existing))


def _ensure_kafka(cfg: KafkaConsumerConfig, timeout: float) -> ConfigureResult:
    """Create the consumer's missing topics with ``topicPartitions`` and
    ``topicReplicationFactor`` (each defaulting to the broker's default); existing topics are
    left as they are (blocking; run in a thread)."""
    from confluent_kafka import KafkaError, KafkaException  # noqa: PLC0415 - Kafka configs only
    from confluent_kafka.admin import AdminClient  # noqa: PLC0415
    from confluent_kafka.cimpl import NewTopic  # noqa: PLC0415

    topics = list(dict.fromkeys(cfg.topics))
    refused: list[KafkaError] = []  # a failed login shows only here; requests fail _TRANSPORT

    def on_error(error: KafkaError) -> None:
        if error.code() == KafkaError._AUTHENTICATION:
            refused.append(error)

    admin: AdminClient | None = None
    try:
        settings: dict[str, Any] = {**cfg.resolved_config(), "log_level": 0, "error_cb": on_error}
        admin = AdminClient(settings, logger=logging.getLogger(f"{__name__}.kafka"))
        present = set(admin.list_topics(timeout=timeout).topics)
        missing = [t for t in topics if t not in present]
        partitions = cfg.topic_partitions or -1  # -1: the broker's num.partitions
        replication = cfg.topic_replication_factor or -1  # -1: default.replication.factor
        new = [NewTopic(t, partitions, replication) for t in missing]
        futures = admin.create_topics(new, request_timeout=timeout) if missing else {}
        created = []
        for topic, future in futures.items():
            try:
                future.result(timeout=timeout)
                created.append(topic)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise
    except (KafkaException, ValueError) as exc:
        if admin is not None:
            admin.poll(0)  # serves error_cb: a refused login is reported there, not in exc
        cause = KafkaException(refused[-1]) if refused else exc
        raise _kafka_error(cause, cfg) from exc
    label = "kafka topic {}".format
    existing = [t for t in topics if t not in created]
    return ConfigureResult(tuple(map(label, created)), tuple(map(label, existing)))


_KAFKA_PERMANENT = {
    "_INVALID_ARG",
    "TOPIC_AUTHORIZATION_FAILED",
    "CLUSTER_AUTHORIZATION_FAILED",
    "SASL_AUTHENTICATION_FAILED",
    "_AUTHENTICATION",
    "INVALID_CONFIG",
    "INVALID_REPLICATION_FACTOR",
    "INVALID_PARTITIONS",
    "POLICY_VIOLATION",
    "INVALID_TOPIC_EXCEPTION",
}


def _kafka_error(exc: Exception, cfg: KafkaConsumerConfig) -> BackendError:
    servers = cfg.config.get("bootstrap.servers", "?")
    if isinstance(exc, ValueError):
        return BackendRejectedError(f"kafka {servers}: {exc}")
    error: Any = exc.args[0] if exc.args else None
    name = str(error.name()) if hasattr(error, "name") else type(exc).__name__
    text = str(error.str()) if hasattr(error, "str") else str(exc)
    detail = f"kafka {servers}: configure failed: {name}: {text}"
    if name in _KAFKA_PERMANENT:
        return BackendRejectedError(detail)
    return BackendUnavailableError(detail)
