"""``configure_all``: ``heroic configure``'s work.

``configure_all`` creates what the configuration names (tables, keyspace, templates, topics,
subscriptions) and never drops, truncates or alters anything that exists. Failures are the
backends' ``BackendUnavailableError`` (retry later) or ``BackendRejectedError`` (fix the
configuration or permissions). Client libraries are imported only when used.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from heroic_core.backends.errors import BackendError, BackendRejectedError, BackendUnavailableError
from heroic_core.backends.results import ConfigureResult
from heroic_core.config import (
    BigtableMetricConfig,
    DatastaxMetricConfig,
    ElasticsearchMetadataConfig,
    ElasticsearchSuggestConfig,
    HeroicConfig,
    KafkaConsumerConfig,
    PubSubConsumerConfig,
)

# --- heroic configure -----------------------------------------------------------------------

#: What ``--only`` can select, in the order configure visits them.
TARGETS = ("bigtable", "cassandra", "elasticsearch", "pubsub", "kafka")
DEFAULT_TIMEOUT = 30.0
_GRACE = 5.0


@dataclass(frozen=True, slots=True)
class Step:
    """What one backend (or consumer) needed: ``created`` now, ``existing`` before."""

    target: str
    name: str
    result: ConfigureResult


@dataclass(slots=True)
class ConfigureReport:
    steps: list[Step] = field(default_factory=list)

    @property
    def created(self) -> list[str]:
        return [c for s in self.steps for c in s.result.created]

    @property
    def existing(self) -> list[str]:
        return [e for s in self.steps for e in s.result.existing]

    @property
    def nothing_to_do(self) -> bool:
        return not self.created


_Job = tuple[str, str, Callable[[], Awaitable[ConfigureResult]]]


async def configure_all(
    config: HeroicConfig,
    only: Collection[str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    on_step: Callable[[Step], None] | None = None,
) -> ConfigureReport:
    """Create what ``config`` needs for the ``only`` targets (default: all), in order.

    Stops at the first failure with ``BackendUnavailableError`` (retry later) or
    ``BackendRejectedError`` (fix the configuration or permissions).
    """
    selected = set(TARGETS if only is None else only)
    unknown = selected - set(TARGETS)
    if unknown:
        raise BackendRejectedError(f"unknown configure target(s): {', '.join(sorted(unknown))}")
    report = ConfigureReport()
    for target, name, job in _jobs(config, selected, timeout):
        try:
            # The clients time out on their own (with a better reason); this is the backstop.
            result = await asyncio.wait_for(job(), timeout + _GRACE)
        except TimeoutError as exc:
            raise BackendUnavailableError(
                f"{target} {name}: no answer within {timeout + _GRACE:g}s"
            ) from exc
        step = Step(target, name, result)
        report.steps.append(step)
        if on_step is not None:
            on_step(step)
    return report


def _jobs(config: HeroicConfig, selected: set[str], timeout: float) -> Iterator[_Job]:
    for metric in config.metrics.backends:
        if metric.type == "bigtable" and "bigtable" in selected:
            yield "bigtable", metric.id or metric.table, _bigtable(metric, timeout)
        elif metric.type == "datastax" and "cassandra" in selected:
            yield "cassandra", metric.id or metric.schema_.keyspace, _cassandra(metric)
    if "elasticsearch" in selected:
        for section in (config.metadata.backends, config.suggest.backends):
            for index, backend in enumerate(section):
                if isinstance(backend, _ES_CONFIGS):
                    name = backend.id or f"{backend.effective_template_name()}#{index}"
                    yield "elasticsearch", name, _elasticsearch(backend)
    for consumer in config.consumers:
        if consumer.type == "pubsub" and "pubsub" in selected:
            yield "pubsub", consumer.id or consumer.subscription, _pubsub(consumer, timeout)
        elif consumer.type == "kafka" and "kafka" in selected:
            yield "kafka", consumer.id or ",".join(consumer.topics), _kafka(consumer, timeout)


_ES_CONFIGS = (ElasticsearchMetadataConfig, ElasticsearchSuggestConfig)


def _bigtable(
    cfg: BigtableMetricConfig, timeout: float
) -> Callable[[], Awaitable[ConfigureResult]]:
    async def run() -> ConfigureResult:
        from heroic_core.backends.bigtable.backend import BigtableMetricBackend  # noqa: PLC0415

        backend = BigtableMetricBackend(cfg)
        try:
            return await backend.configure(timeout)
        finally:
            await backend.close()

    return run


def _cassandra(cfg: DatastaxMetricConfig) -> Callable[[], Awaitable[ConfigureResult]]:
    async def run() -> ConfigureResult:
        from heroic_core.backends.cassandra.backend import CassandraMetricBackend  # noqa: PLC0415

        backend = CassandraMetricBackend(cfg)
        try:
            return await backend.configure()
        finally:
            await backend.close()

    return run


def _elasticsearch(
    cfg: ElasticsearchMetadataConfig | ElasticsearchSuggestConfig,
) -> Callable[[], Awaitable[ConfigureResult]]:
    async def run() -> ConfigureResult:
        # Lazy: only configurations with Elasticsearch need the client library.
        from heroic_core.backends.elasticsearch.metadata import (  # noqa: PLC0415
            ElasticsearchMetadataBackend,
        )
        from heroic_core.backends.elasticsearch.suggest import (  # noqa: PLC0415
            ElasticsearchSuggestBackend,
        )

        backend: ElasticsearchMetadataBackend | ElasticsearchSuggestBackend
        if isinstance(cfg, ElasticsearchMetadataConfig):
            backend = ElasticsearchMetadataBackend(cfg)
        else:
            backend = ElasticsearchSuggestBackend(cfg)
        try:
            return await backend.configure()
        finally:
            await backend.close()

    return run


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

    from heroic_core.backends.bigtable.connection import (  # noqa: PLC0415
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
        admin = AdminClient(settings, logger=logging.getLogger("heroic_core.configure.kafka"))
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
