"""``KafkaSource``: a consumer-group member with manual offset commits (confluent-kafka).

Every client call runs on one dedicated thread, so the librdkafka handle is never used by two
threads at once and the event loop never blocks. Auto-commit is always off: the pipeline
commits ``offset + 1`` of the newest message it has fully handled per partition. Pausing
pauses every assigned partition (also ones assigned while paused) and rewinds it to the first
message not handed out, dropping librdkafka's prefetched queue; ``fetch`` keeps polling, so the
member stays in the group, and hands out nothing until the resume. Upstream's ZooKeeper-era
keys are dropped with a warning. Rejected messages go to the dead-letter topic through a
producer on the same cluster, with headers naming the error and the original position. With
``transactional: true`` handled offsets are committed every ``transactionCommitInterval``
(``CommitSchedule``) instead of after every batch, and at once for partitions being revoked.
This module must not decode or write anything.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from itertools import groupby
from typing import Any, TypeVar

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from heroic_consumer.sources.base import (
    EMPTY,
    Fetched,
    Message,
    MessageBatch,
    Partition,
    Rejected,
    Released,
    SourceError,
)
from heroic_consumer.sources.client_health import ClientHealth
from heroic_consumer.sources.commit_schedule import CommitSchedule
from heroic_consumer.sources.kafka_dead_letters import KafkaDeadLetters
from heroic_core.config import KafkaConsumerConfig

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Keys of upstream's old (ZooKeeper) consumer that librdkafka does not know.
LEGACY_PREFIXES = ("zookeeper.", "auto.commit.enable", "consumer.timeout.ms", "rebalance.")
FORCED = {"enable.auto.commit": "false", "enable.auto.offset.store": "false"}
#: ``log_level`` 0: librdkafka's own log lines (several a second while a broker refuses the
#: login) are left out; its errors arrive through ``error_cb``, logged without flooding. Set
#: ``log_level`` in the consumer's ``config`` to see them. ``max.partition.fetch.bytes``: at
#: librdkafka's 1 MiB a member fetched about 160,000 small messages a second from our test
#: broker while using a fifth of a core; at 10 MiB about 470,000 (bench_consumer_scaling.py),
#: so one member per process keeps its core busy (the local queue stays bounded by
#: ``queued.max.messages.kbytes``).
DEFAULTS = {
    "auto.offset.reset": "earliest",
    "queued.max.messages.kbytes": "16384",
    "max.partition.fetch.bytes": "10485760",
    "log_level": "0",
}
_UNKNOWN = -1001  # librdkafka's OFFSET_INVALID / unknown watermark


def client_settings(config: KafkaConsumerConfig) -> dict[str, str]:
    """The librdkafka consumer settings for ``config`` (``ValueError`` when unusable)."""
    settings = dict(DEFAULTS)
    for key, value in config.resolved_config().items():
        if key.startswith(LEGACY_PREFIXES):
            log.warning("Ignoring legacy Kafka setting %s", key, extra={"setting": key})
            continue
        if key in FORCED and value != FORCED[key]:
            log.warning("Overriding %s: offsets are committed after the writes", key)
            continue
        settings[key] = value
    if not settings.get("group.id"):
        raise ValueError("kafka consumer: config must set group.id")
    if not settings.get("bootstrap.servers") and not settings.get("metadata.broker.list"):
        raise ValueError("kafka consumer: config must set bootstrap.servers")
    return settings | FORCED


def _tp_label(partition: Partition) -> str:
    return f"{partition[0]}/{partition[1]}"


class KafkaSource:
    """A ``MessageSource`` over Kafka topics."""

    def __init__(self, config: KafkaConsumerConfig, dead_letter_topic: str | None = None) -> None:
        self.topics = list(config.topics)
        self.settings = client_settings(config)
        self.dead_letter_topic = dead_letter_topic
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="kafka")
        self._consumer: Consumer | None = None
        self._dead_letters: KafkaDeadLetters | None = None
        self._paused = False
        self._assigned: set[Partition] = set()
        self._to_pause: list[Partition] = []
        self._revoked: list[Partition] = []
        self._committed: dict[Partition, int] = {}
        #: Offset after the last message handed out, per partition (where a pause rewinds to).
        self._next: dict[Partition, int] = {}
        #: Messages consumed while paused (and their partitions), handed out first after the
        #: resume.
        self._held: list[Any] = []
        self._held_parts: list[Partition] = []
        #: Partitions to seek back to the first message dropped at a revocation (see _rewind).
        self._rewinds: dict[Partition, int] = {}
        self.health = ClientHealth(log)
        #: ``transactional``: commits every ``transactionCommitInterval`` (client thread only).
        self.schedule = CommitSchedule(
            config.transaction_commit_interval / 1000 if config.transactional else 0.0
        )

    @property
    def name(self) -> str:
        return "kafka"

    @property
    def dead_letter_enabled(self) -> bool:
        return self.dead_letter_topic is not None

    def problem(self) -> str | None:
        """Why the client cannot consume now (a refused login, no broker), else ``None``."""
        return self.health.problem

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        await self._call(self._start)
        log.info("Subscribed to Kafka", extra={"topics": self.topics})

    def _start(self) -> None:
        conf: dict[str, Any] = dict(self.settings)
        conf["error_cb"] = lambda error: self.health.error(error.name(), error.str())
        conf["on_commit"] = _log_commit
        try:
            consumer = Consumer(conf)
            consumer.subscribe(
                self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke,
                on_lost=self._on_revoke,
            )  # fmt: skip
            if self.dead_letter_topic:
                self._dead_letters = KafkaDeadLetters(self.settings, self.dead_letter_topic)
        except KafkaException as exc:
            raise SourceError(f"cannot start the Kafka consumer: {exc.args[0]}") from None
        self._consumer = consumer

    async def close(self) -> None:
        await self._call(self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._dead_letters is not None:
            self._dead_letters.close()
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None

    # --- rebalancing (runs inside consume(), on the client thread) -------------------------

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        del consumer
        assigned = [(tp.topic, tp.partition) for tp in partitions]
        self._assigned.update(assigned)
        self.health.working()
        if self._paused:
            self._to_pause.extend(assigned)
        log.info("Partitions assigned", extra={"partitions": [_tp_label(p) for p in assigned]})

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._commit_due_of(consumer, [(tp.topic, tp.partition) for tp in partitions])
        for tp in partitions:
            key = (tp.topic, tp.partition)
            self._assigned.discard(key)
            self._committed.pop(key, None)
            self._next.pop(key, None)
            self._revoked.append(key)

    # --- fetching --------------------------------------------------------------------------

    async def fetch(self, max_messages: int, timeout: float) -> Fetched:
        return await self._call(lambda: self._fetch(max_messages, timeout))

    def _fetch(self, max_messages: int, timeout: float) -> Fetched:
        consumer = self._require()
        if self.schedule.interval:  # a scheduled commit may fall due while nothing is handed in
            self._commit(self.schedule.take({}), final=False)
        raw = consumer.consume(num_messages=max(1, max_messages), timeout=timeout)
        if self._to_pause:
            self._pause(self._to_pause)
            self._to_pause = []
        items, parts = self._held, self._held_parts
        self._held, self._held_parts = [], []
        payloads = [item.value() or b"" for item in items]
        received = len(items)
        # One pass per message, the methods bound once: at ~1M messages/s this loop is a
        # tenth of the consumer's CPU.
        keys: dict[tuple[str | None, int | None], Partition | None] = {}
        known, assigned = keys.get, self._assigned
        add_item, add_part, add_payload = items.append, parts.append, payloads.append
        for item in raw:
            error = item.error()
            if error is not None:
                _check_error(error)
                continue
            raw_key = (item.topic(), item.partition())
            key = known(raw_key, _UNSEEN)
            if key is _UNSEEN:
                key = keys[raw_key] = _owned(raw_key, assigned)
            if key is not None:
                add_item(item)
                add_part(key)
                add_payload(item.value() or b"")
        if len(items) > received:
            self.health.working()
        revoked, self._revoked = tuple(self._revoked), []
        if revoked:
            gone = set(revoked)
            self._rewind(_first_offsets(items, parts, gone))
            items, parts, payloads = _without(items, parts, payloads, gone)
        if self._rewinds:
            # What was read of these partitions lies past the rewind point: it comes again,
            # in order, after the seek.
            items, parts, payloads = _without(items, parts, payloads, set(self._rewinds))
            self._retry_rewinds()
        if self._paused:
            # Already fetched before the pause took effect: keep them for the resume.
            self._held, self._held_parts = items, parts
            return Fetched(EMPTY, revoked)
        batch = _batch(items, parts, payloads)
        for partition, (_, last, _) in batch.spans.items():
            self._next[partition] = last + 1
        return Fetched(batch, revoked)

    def _rewind(self, first: dict[Partition, int]) -> None:
        """Messages of a revoked partition are dropped (the pipeline forgets the partition).
        Where the partition was assigned again within the same ``consume`` call (an eager
        rebalance revokes every partition and hands most of them back at once), the client has
        already read past them: seek back to the first one, or they would never be handled
        while later offsets get committed."""
        self._rewinds.update({p: o for p, o in first.items() if p in self._assigned})

    def _retry_rewinds(self) -> None:
        """Seek what ``_rewind`` asked for; a seek refused now (the fetcher is not started yet
        right after an assignment) is tried again on the next fetch, before anything of that
        partition is handed out."""
        consumer = self._require()
        for partition, offset in list(self._rewinds.items()):
            if partition not in self._assigned:
                del self._rewinds[partition]
                continue
            try:
                consumer.seek(TopicPartition(partition[0], partition[1], offset))
            except KafkaException as exc:
                log.info("Rewind after a rebalance deferred: %s", exc.args[0])
                continue
            del self._rewinds[partition]
            self._next[partition] = offset
            log.info(
                "Rewound after a rebalance",
                extra={"partition": _tp_label(partition), "offset": offset},
            )

    def _require(self) -> Consumer:
        if self._consumer is None:
            raise SourceError("the Kafka consumer is not started")
        return self._consumer

    # --- committing ------------------------------------------------------------------------

    async def commit(self, released: Released, *, final: bool = False) -> None:
        newest = dict(released.offsets)
        if newest or final:
            await self._call(lambda: self._commit(self.schedule.take(newest, final=final), final))

    def _commit_due_of(self, consumer: Consumer, partitions: list[Partition]) -> None:
        """Commit what was handled of partitions being revoked, so that their next owner does
        not consume it again (called inside ``consume``, on the client thread)."""
        due = self.schedule.take_partitions(partitions)
        if not due:
            return
        offsets = [TopicPartition(t, p, o + 1) for (t, p), o in due.items()]
        try:
            consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as exc:
            log.warning("Commit before a revocation failed: %s", exc.args[0])

    def _commit(self, newest: dict[Partition, int], final: bool) -> None:
        owned = {p: o + 1 for p, o in newest.items() if p in self._assigned}
        if not owned:
            return
        offsets = [TopicPartition(t, p, o) for (t, p), o in owned.items()]
        try:
            if final:
                self._require().commit(offsets=offsets, asynchronous=False)
            else:
                self._require().commit(offsets=offsets, asynchronous=True)
        except KafkaException as exc:
            raise SourceError(f"offset commit failed: {exc.args[0]}") from None
        self._committed.update(owned)

    # --- flow control ----------------------------------------------------------------------

    async def pause(self) -> None:
        await self._call(lambda: self._set_paused(True))

    async def resume(self) -> None:
        await self._call(lambda: self._set_paused(False))

    def _set_paused(self, paused: bool) -> None:
        self._paused = paused
        if paused:
            self._pause(list(self._assigned))
            return
        self._to_pause = []
        partitions = [TopicPartition(t, p) for t, p in self._assigned]
        if partitions:
            self._require().resume(partitions)

    def _pause(self, partitions: list[Partition]) -> None:
        """Pause and rewind to the first message not handed out, which drops what librdkafka
        had prefetched (otherwise ``consume`` keeps returning it while paused)."""
        if not partitions:
            return
        consumer = self._require()
        consumer.pause([TopicPartition(t, p) for t, p in partitions])
        for partition in partitions:
            position = self._next.get(partition)
            if position is None:
                continue
            try:
                consumer.seek(TopicPartition(partition[0], partition[1], position))
            except KafkaException as exc:  # the held buffer still keeps order and bounds
                log.warning("Seek after pause failed: %s", exc.args[0])

    # --- dead letters and lag --------------------------------------------------------------

    async def dead_letter(self, rejected: Sequence[Rejected]) -> None:
        dead_letters = self._dead_letters
        if dead_letters is None:
            raise SourceError("no dead-letter topic is configured")
        await self._call(lambda: dead_letters.publish(rejected))

    async def lag(self) -> dict[str, int]:
        return await self._call(self._lag)

    def _lag(self) -> dict[str, int]:
        consumer = self._require()
        out: dict[str, int] = {}
        assigned = [TopicPartition(t, p) for t, p in sorted(self._assigned)]
        positions = consumer.position(assigned) if assigned else []
        for tp in positions:
            key = (tp.topic, tp.partition)
            _, high = consumer.get_watermark_offsets(tp, cached=True)
            done = self._committed.get(key, tp.offset)
            if high >= 0 and done is not None and done >= 0:
                out[_tp_label(key)] = max(0, high - done)
        return out


_UNSEEN: Any = object()


def _owned(raw_key: tuple[str | None, int | None], assigned: set[Partition]) -> Partition | None:
    """The partition of a consumed message, or None when this member does not own it (any
    more): its messages are left out."""
    topic, partition = raw_key
    if topic is None or partition is None or (topic, partition) not in assigned:
        return None
    return (topic, partition)


def _batch(items: list[Any], parts: list[Partition], payloads: list[bytes]) -> MessageBatch:
    """The batch of consumed ``items`` (confluent-kafka messages) of partitions ``parts``, with
    their ``payloads``."""
    # By runs of one partition (librdkafka hands out a partition's messages together, so a
    # batch has a few runs), not message by message.
    spans: dict[Partition, list[int]] = {}
    index = 0
    for partition, run in groupby(parts):
        size = sum(1 for _ in run)
        span = spans.get(partition)
        if span is None:
            spans[partition] = [index, index + size - 1, size]
        else:
            span[1] = index + size - 1
            span[2] += size
        index += size

    def locate(index: int) -> Message:
        partition = parts[index]
        return Message(payloads[index], partition[0], partition, items[index].offset())

    return MessageBatch(
        payloads,
        locate,
        {p: (items[a].offset(), items[b].offset(), n) for p, (a, b, n) in spans.items()},
    )


def _first_offsets(
    items: list[Any], parts: list[Partition], partitions: set[Partition]
) -> dict[Partition, int]:
    first: dict[Partition, int] = {}
    for item, partition in zip(items, parts, strict=True):
        if partition in partitions and partition not in first:
            first[partition] = item.offset()
    return first


def _without(
    items: list[Any], parts: list[Partition], payloads: list[bytes], partitions: set[Partition]
) -> tuple[list[Any], list[Partition], list[bytes]]:
    kept = [
        (i, p, v) for i, p, v in zip(items, parts, payloads, strict=True) if p not in partitions
    ]
    return [i for i, _, _ in kept], [p for _, p, _ in kept], [v for _, _, v in kept]


def _check_error(error: KafkaError) -> None:
    if error.code() == KafkaError._PARTITION_EOF:
        return
    if error.fatal():
        raise SourceError(f"fatal Kafka error: {error}")
    log.warning("Kafka consumer error: %s", error, extra={"code": error.name()})


def _log_commit(error: KafkaError | None, partitions: list[TopicPartition]) -> None:
    if error is not None:
        log.warning("Offset commit failed: %s", error, extra={"partitions": len(partitions)})
