"""``heroic consumer`` against the real Kafka of the test environment, writing to the Bigtable
emulator and Elasticsearch; every good point is read back through the API node."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from heroic_core import tdigest
from tests.integration.consumer.support import (
    SPOTIFY100,
    Api,
    Backends,
    ConsumerProcess,
    Workload,
    free_port,
)

pytestmark = [pytest.mark.kafka, pytest.mark.bigtable, pytest.mark.elasticsearch]

PARTITIONS = 3


@pytest.fixture
def backends() -> Iterator[Backends]:
    stores = Backends()
    yield stores
    stores.cleanup()


@pytest.fixture
def topics() -> tuple[str, str]:
    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    suffix = uuid.uuid4().hex[:10]
    topic, dead = f"metrics-{suffix}", f"dead-{suffix}"
    admin = AdminClient({"bootstrap.servers": servers})
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=PARTITIONS), NewTopic(dead, num_partitions=1)]
    )
    for future in futures.values():
        future.result(30)
    return topic, dead


def kafka_consumer(topic: str, group: str) -> dict[str, Any]:
    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    return {
        "type": "kafka", "schema": SPOTIFY100, "topics": [topic],
        # A killed member holds its partitions until its session times out: keep that short.
        "config": {"bootstrap.servers": servers, "group.id": group, "session.timeout.ms": 6000},
    }  # fmt: skip


def produce(topic: str, payloads: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})
    for i, payload in enumerate(payloads):
        producer.produce(topic, value=payload, partition=i % PARTITIONS)
        if i % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0


def read_all(topic: str, expected: int, timeout: float = 30) -> list[Any]:
    reader = Consumer({
        "bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
        "group.id": f"reader-{uuid.uuid4().hex[:8]}", "auto.offset.reset": "earliest",
    })  # fmt: skip
    reader.subscribe([topic])
    out: list[Any] = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < expected and time.monotonic() < deadline:
            message = reader.poll(1)
            if message is not None and message.error() is None:
                out.append(message)
    finally:
        reader.close()
    return out


def committed(topic: str, group: str) -> int:
    """Sum of the group's committed offsets over the topic's partitions."""
    reader = Consumer({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
                       "group.id": group})  # fmt: skip
    try:
        offsets = reader.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], 30)
    finally:
        reader.close()
    return sum(max(tp.offset, 0) for tp in offsets)


def test_every_good_point_arrives_and_malformed_ones_are_dead_lettered(
    backends: Backends, topics: tuple[str, str], tmp_path: Path
) -> None:
    topic, dead = topics
    group = f"heroic-{uuid.uuid4().hex[:8]}"
    workload = Workload()
    produce(topic, workload.build(600, malformed_every=50))
    config = backends.config(kafka_consumer(topic, group))
    consumer = ConsumerProcess(config, tmp_path, "--dead-letter-topic", dead)
    try:
        consumer.wait_ready()
        with Api(config) as api:
            seen = api.wait_for_points(workload)
        assert seen == set(workload.good), consumer.logs()
        deadline = time.monotonic() + 30
        while committed(topic, group) < len(workload.payloads) and time.monotonic() < deadline:
            time.sleep(0.5)
        labels = {"source": "kafka", "category": "malformed"}
        assert consumer.metric("heroic_consumer_messages_malformed_total", **labels) == 12
    finally:
        assert consumer.stop() == 0, consumer.logs()
    assert committed(topic, group) == len(workload.payloads)
    letters = read_all(dead, workload.malformed)
    assert len(letters) == workload.malformed == 12
    headers = dict(letters[0].headers())
    assert headers["heroic.topic"] == topic.encode()
    assert int(headers["heroic.offset"]) >= 0
    assert headers["heroic.error"]


def test_sigkill_mid_stream_and_restart_loses_no_good_point(
    backends: Backends, topics: tuple[str, str], tmp_path: Path
) -> None:
    topic, _ = topics
    group = f"heroic-{uuid.uuid4().hex[:8]}"
    workload = Workload()
    produce(topic, workload.build(10_000, malformed_every=97))
    config = backends.config(kafka_consumer(topic, group))
    args = ("--batch-size", "500", "--max-in-flight", "2")
    first = ConsumerProcess(config, tmp_path, *args)
    first.wait_ready()
    deadline = time.monotonic() + 120
    while first.metric("heroic_consumer_messages_committed_total", source="kafka") < 2000:
        assert time.monotonic() < deadline, first.logs()
        time.sleep(0.05)
    first.kill()
    done_before_kill = committed(topic, group)
    assert 0 < done_before_kill < len(workload.payloads), "the kill was not mid-stream"
    second = ConsumerProcess(config, tmp_path, *args)
    try:
        second.wait_ready()
        with Api(config) as api:
            seen = api.wait_for_points(workload, timeout=240)
        missing = set(workload.good) - seen
        assert not missing, f"{len(missing)} good points missing; {second.logs()}"
        deadline = time.monotonic() + 60
        while committed(topic, group) < len(workload.payloads) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        assert second.stop() == 0, second.logs()
    assert committed(topic, group) == len(workload.payloads)


def test_backend_outage_pauses_consumption_and_loses_nothing(
    backends: Backends, topics: tuple[str, str], tmp_path: Path
) -> None:
    topic, _ = topics
    group = f"heroic-{uuid.uuid4().hex[:8]}"
    workload = Workload()
    produce(topic, workload.build(2000))
    config = backends.config(kafka_consumer(topic, group))
    # No write cache: with one, a write of a series already being written reports success.
    broken = {**config, "stopTimeout": "3s", "metadata": {"backends": [{
        "type": "elasticsearch", "writeCacheDurationMinutes": 0,
        "connection": {"client": {"type": "rest", "seeds": [f"127.0.0.1:{free_port()}"]}},
    }]}}  # fmt: skip
    args = ("--batch-size", "100", "--max-in-flight", "2")
    first = ConsumerProcess(broken, tmp_path, *args)
    try:
        deadline = time.monotonic() + 60
        while first.metric("heroic_consumer_paused") != 1:
            assert time.monotonic() < deadline, first.logs()
            time.sleep(0.2)
        time.sleep(2)
        assert first.get("/readyz")[0] == 503
        assert first.metric("heroic_consumer_messages_consumed_total", source="kafka") <= 500
        assert first.metric("heroic_consumer_messages_committed_total", source="kafka") == 0
    finally:
        assert first.stop() == 1, first.logs()  # stopped with uncommitted batches
    assert committed(topic, group) == 0
    second = ConsumerProcess(config, tmp_path, *args)
    try:
        second.wait_ready()
        with Api(config) as api:
            assert api.wait_for_points(workload) == set(workload.good), second.logs()
    finally:
        assert second.stop() == 0, second.logs()


def sketch_message(key: str, host: str, time_ms: int, values: Any) -> bytes:
    """A Spotify100 v2 message whose value is a serialized t-digest of ``values``."""
    payload = base64.b64encode(tdigest.encode(tdigest.from_values(values))).decode()
    body = {"version": "2.0.0", "key": key, "host": host, "time": time_ms,
            "value": {"distributionValue": payload}}  # fmt: skip
    return json.dumps(body).encode()


def test_distribution_points_are_stored_in_bigtable_and_answer_tdigest_queries(
    backends: Backends, topics: tuple[str, str], tmp_path: Path
) -> None:
    topic, _ = topics
    key = f"latency-{uuid.uuid4().hex[:8]}"
    # every sketch in one 1-minute bucket: 10 s past a minute boundary, five minutes ago
    base = (int(time.time() * 1000) - 300_000) // 60_000 * 60_000 + 10_000
    rng = np.random.default_rng(7)
    raw = {host: [rng.gamma(2.0, scale, 1000) for _ in range(4)] for host, scale in
           (("h0", 10.0), ("h1", 50.0))}  # fmt: skip
    messages = [
        sketch_message(key, host, base + 1000 * i, values)
        for host, parts in raw.items()
        for i, values in enumerate(parts)
    ]
    produce(topic, [*messages, b"{not json"])
    config = backends.config(kafka_consumer(topic, f"heroic-{uuid.uuid4().hex[:8]}"))
    consumer = ConsumerProcess(config, tmp_path)
    body = {
        "query": f'tdigest(1m) by host from distributionPoints where $key = "{key}"',
        "range": {"type": "absolute", "start": base - 600_000, "end": base + 120_000},
    }
    try:
        consumer.wait_ready()
        with Api(config) as api:
            assert api.client is not None
            deadline = time.monotonic() + 120
            result: list[dict[str, Any]] = []
            while time.monotonic() < deadline:
                response = api.client.post(
                    "/query/metrics", json=body, headers={"X-Client-Id": "it"}
                )
                assert response.status_code == 200, response.text
                result = response.json()["result"]
                if response.json()["preAggregationSampleSize"] == len(messages):
                    break
                time.sleep(0.5)
    finally:
        assert consumer.stop() == 0, consumer.logs()
    stats = {(g["tags"]["host"], g["tags"]["tdigeststat"]): g["values"] for g in result}
    assert len(stats) == 6, result
    for host, parts in raw.items():
        everything = np.concatenate(parts)
        for name, q in (("P50", 0.5), ("P75", 0.75), ("P99", 0.99)):
            values = [v for _, v in stats[(host, name)]]
            assert len(values) == 1
            assert values[0] == pytest.approx(np.quantile(everything, q), rel=0.05)
