"""Kafka round trip with confluent-kafka, the client the consumer node uses."""

from __future__ import annotations

import os
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

pytestmark = pytest.mark.kafka


def test_produce_consume_and_commit_offset() -> None:
    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    topic, group = f"smoke-{uuid.uuid4().hex[:8]}", f"group-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": servers})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])[topic].result(30)
    producer = Producer({"bootstrap.servers": servers})
    for i in range(3):
        producer.produce(topic, key=str(i).encode(), value=f"message-{i}".encode())
    assert producer.flush(30) == 0

    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    received: list[bytes] = []
    try:
        while len(received) < 3:
            message = consumer.poll(30)
            assert message is not None, "no message within 30 s"
            error = message.error()
            assert error is None or error.code() == KafkaError._PARTITION_EOF
            if error is None:
                received.append(message.value())
        consumer.commit(asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, 0)], timeout=30)
    finally:
        consumer.close()
    assert received == [b"message-0", b"message-1", b"message-2"]
    assert committed[0].offset == 3
