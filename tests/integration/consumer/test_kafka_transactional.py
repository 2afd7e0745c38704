"""``transactional: true`` against the Kafka of the test environment: handled offsets reach the
broker only once ``transactionCommitInterval`` has passed (or when the partitions are given
up), not after every batch. The schedule's clock is the test's, so nothing waits on time."""

from __future__ import annotations

import asyncio
import os
import uuid
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from heroic_consumer.sources.base import Released
from heroic_consumer.sources.commit_schedule import CommitSchedule
from heroic_consumer.sources.kafka import KafkaSource
from heroic_core.config import KafkaConsumerConfig
from tests.integration.consumer.support import SPOTIFY100

pytestmark = pytest.mark.kafka

PARTITIONS = 2
MESSAGES = 40


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _servers() -> str:
    return os.environ["KAFKA_BOOTSTRAP_SERVERS"]


def _topic_with_messages() -> str:
    topic = f"transactional-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": _servers()})
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS)])[topic].result(30)
    producer = Producer({"bootstrap.servers": _servers()})
    for i in range(MESSAGES):
        producer.produce(topic, value=b"{}", partition=i % PARTITIONS)
    assert producer.flush(30) == 0
    return topic


def _committed(topic: str, group: str) -> int:
    reader = Consumer({"bootstrap.servers": _servers(), "group.id": group})
    try:
        offsets = reader.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], 30)
    finally:
        reader.close()
    return sum(max(tp.offset, 0) for tp in offsets)


def _source(topic: str, group: str, clock: Clock) -> KafkaSource:
    config = KafkaConsumerConfig.model_validate({
        "type": "kafka", "schema": SPOTIFY100, "topics": [topic],
        "transactional": True, "transactionCommitInterval": 60_000,
        "config": {"bootstrap.servers": _servers(), "group.id": group},
    })  # fmt: skip
    source = KafkaSource(config)
    source.schedule = CommitSchedule(source.schedule.interval, clock)
    return source


async def _consume_all(source: KafkaSource) -> Released:
    released = Released()
    for _ in range(200):
        batch = (await source.fetch(1000, 0.2)).batch
        for partition, (_, last, count) in batch.spans.items():
            released.offsets[partition] = last
            released.count += count
        if released.count >= MESSAGES:
            return released
    raise AssertionError(f"consumed {released.count} of {MESSAGES}")


def test_handled_offsets_are_committed_on_the_interval_not_per_batch() -> None:
    topic, group, clock = _topic_with_messages(), f"tx-{uuid.uuid4().hex[:8]}", Clock()

    async def scenario() -> dict[str, Any]:
        source = _source(topic, group, clock)
        await source.start()
        try:
            await source.commit(await _consume_all(source))
            before = _committed(topic, group)
            clock.now += 2.0  # upstream's first commit: after at most 2 s
            await source.fetch(10, 0.1)  # the scheduled commit happens on the client's turn
            await asyncio.sleep(1)  # commits are asynchronous
            return {"before": before, "after": _committed(topic, group)}
        finally:
            await source.close()

    seen = asyncio.run(scenario())
    assert seen == {"before": 0, "after": MESSAGES}


def test_waiting_offsets_are_committed_when_the_partitions_are_given_up() -> None:
    topic, group, clock = _topic_with_messages(), f"tx-{uuid.uuid4().hex[:8]}", Clock()

    async def scenario() -> int:
        source = _source(topic, group, clock)
        await source.start()
        try:
            await source.commit(await _consume_all(source))
            return _committed(topic, group)
        finally:
            await source.close()  # leaving the group revokes the partitions

    assert asyncio.run(scenario()) == 0
    assert _committed(topic, group) == MESSAGES
