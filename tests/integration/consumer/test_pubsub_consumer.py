"""``heroic consumer`` against the Pub/Sub fake of the test environment, writing to the Bigtable
emulator and Elasticsearch; every good point is read back through the API node."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from google.cloud import pubsub_v1

from tests.integration.consumer.support import (
    SPOTIFY100,
    Api,
    Backends,
    ConsumerProcess,
    Workload,
    batches,
)

pytestmark = [pytest.mark.pubsub, pytest.mark.bigtable, pytest.mark.elasticsearch]

#: Short, so that messages of a killed consumer come back quickly.
ACK_DEADLINE = 10


@dataclass
class PubSub:
    """A topic + subscription for the consumer and a dead-letter topic + reader subscription."""

    project: str
    publisher: Any
    subscriber: Any
    name: str

    def path(self, kind: str, suffix: str = "") -> str:
        if kind == "topic":
            return str(self.publisher.topic_path(self.project, f"{self.name}{suffix}"))
        return str(self.subscriber.subscription_path(self.project, f"{self.name}{suffix}"))

    def publish(self, payloads: list[bytes]) -> None:
        for chunk in batches(payloads, 500):
            futures: list[Future[str]] = [
                self.publisher.publish(self.path("topic"), p) for p in chunk
            ]
            for future in futures:
                future.result(timeout=60)

    def pull_dead_letters(self, expected: int, timeout: float = 30) -> list[Any]:
        out: list[Any] = []
        deadline = time.monotonic() + timeout
        while len(out) < expected and time.monotonic() < deadline:
            response = self.subscriber.pull(
                subscription=self.path("subscription", "-dead"), max_messages=100, timeout=5
            )
            out += [r.message for r in response.received_messages]
        return out


@pytest.fixture
def pubsub() -> Iterator[PubSub]:
    project = os.environ.get("PUBSUB_PROJECT_ID", "heroic-testenv")
    ps = PubSub(project, pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient(),
                f"it-{uuid.uuid4().hex[:10]}")  # fmt: skip
    for suffix in ("", "-dead"):
        ps.publisher.create_topic(name=ps.path("topic", suffix))
        ps.subscriber.create_subscription(
            name=ps.path("subscription", suffix), topic=ps.path("topic", suffix),
            ack_deadline_seconds=ACK_DEADLINE,
        )  # fmt: skip
    yield ps
    for suffix in ("", "-dead"):
        ps.subscriber.delete_subscription(subscription=ps.path("subscription", suffix))
        ps.publisher.delete_topic(topic=ps.path("topic", suffix))


@pytest.fixture
def backends() -> Iterator[Backends]:
    stores = Backends()
    yield stores
    stores.cleanup()


def pubsub_consumer(ps: PubSub) -> dict[str, Any]:
    return {
        "type": "pubsub", "schema": SPOTIFY100, "project": ps.project, "topic": ps.name,
        "subscription": ps.name, "endpoint": os.environ["PUBSUB_EMULATOR_HOST"],
    }  # fmt: skip


def test_every_good_point_arrives_and_malformed_ones_are_dead_lettered(
    backends: Backends, pubsub: PubSub, tmp_path: Path
) -> None:
    workload = Workload()
    pubsub.publish(workload.build(400, malformed_every=40))
    config = backends.config(pubsub_consumer(pubsub))
    dead_topic = f"{pubsub.name}-dead"
    consumer = ConsumerProcess(config, tmp_path, "--dead-letter-topic", dead_topic)
    try:
        consumer.wait_ready()
        with Api(config) as api:
            seen = api.wait_for_points(workload)
        assert seen == set(workload.good), consumer.logs()
        labels = {"source": "pubsub", "category": "malformed"}
        assert consumer.metric("heroic_consumer_messages_malformed_total", **labels) == 10
    finally:
        assert consumer.stop() == 0, consumer.logs()
    letters = pubsub.pull_dead_letters(workload.malformed)
    assert len(letters) == workload.malformed == 10
    assert letters[0].attributes["heroic_subscription"].endswith(pubsub.name)
    assert letters[0].attributes["heroic_error"]
    # Everything was acknowledged: nothing comes back after the ack deadline.
    time.sleep(ACK_DEADLINE + 1)
    response = pubsub.subscriber.pull(
        subscription=pubsub.path("subscription"), max_messages=10, timeout=5
    )
    assert list(response.received_messages) == []


def test_sigkill_mid_stream_and_restart_loses_no_good_point(
    backends: Backends, pubsub: PubSub, tmp_path: Path
) -> None:
    workload = Workload()
    # Large enough that the kill lands mid-stream although pulls are now sized to the messages
    # (a consumer takes thousands at a time once it has seen how small they are).
    pubsub.publish(workload.build(30000, malformed_every=97))
    config = backends.config(pubsub_consumer(pubsub))
    args = ("--batch-size", "200", "--max-in-flight", "2")
    first = ConsumerProcess(config, tmp_path, *args)
    first.wait_ready()
    deadline = time.monotonic() + 120
    while first.metric("heroic_consumer_messages_committed_total", source="pubsub") < 1000:
        assert time.monotonic() < deadline, first.logs()
        time.sleep(0.05)
    pulled = first.metric("heroic_consumer_messages_consumed_total", source="pubsub")
    first.kill()
    assert pulled < len(workload.payloads), "the kill was not mid-stream"
    second = ConsumerProcess(config, tmp_path, *args)
    try:
        second.wait_ready()
        with Api(config) as api:
            seen = api.wait_for_points(workload, timeout=240)
        missing = set(workload.good) - seen
        assert not missing, f"{len(missing)} good points missing; {second.logs()}"
        # What the killed consumer held unacknowledged comes back and gets acknowledged.
        time.sleep(ACK_DEADLINE + 2)
    finally:
        assert second.stop() == 0, second.logs()
    response = pubsub.subscriber.pull(
        subscription=pubsub.path("subscription"), max_messages=10, timeout=5
    )
    assert list(response.received_messages) == []


def _snappy(data: bytes) -> bytes:
    """A valid Snappy block made of literals only (any Snappy decoder reads it)."""
    out = bytearray()
    n = len(data)
    while True:
        out.append((n & 0x7F) | (0x80 if n >> 7 else 0))
        n >>= 7
        if not n:
            break
    for start in range(0, len(data), 60):
        chunk = data[start : start + 60]
        out += bytes([(len(chunk) - 1) << 2]) + chunk
    return bytes(out)


def _proto_batches(workload: Workload, batches_: int, per_batch: int) -> list[bytes]:
    from heroic_consumer import proto  # noqa: PLC0415 - the schema's own message classes

    payloads: list[bytes] = []
    for _ in range(batches_):
        batch = proto.Batch()
        for _ in range(per_batch):
            host = f"h{len(workload.good) % 4}"
            point = (host, workload.base + len(workload.good), float(len(workload.good)))
            workload.good.append(point)
            metric = batch.metric.add()
            metric.key, metric.time, metric.value = workload.key, point[1], point[2]
            metric.tags["host"] = host
        payloads.append(_snappy(batch.SerializeToString()))
    bad = proto.Batch()
    bad.metric.add(key=workload.key, time=0, value=1.0)  # non-positive time: whole batch rejected
    payloads.append(_snappy(bad.SerializeToString()))
    payloads.append(b"not snappy at all")
    return payloads


def test_spotify100proto_batches_are_written_and_bad_batches_skipped(
    backends: Backends, pubsub: PubSub, tmp_path: Path
) -> None:
    workload = Workload()
    pubsub.publish(_proto_batches(workload, batches_=20, per_batch=25))
    consumer_config = pubsub_consumer(pubsub) | {
        "schema": "com.spotify.heroic.consumer.schemas.Spotify100Proto"
    }
    config = backends.config(consumer_config)
    consumer = ConsumerProcess(config, tmp_path)
    try:
        consumer.wait_ready()
        with Api(config) as api:
            assert api.wait_for_points(workload) == set(workload.good), consumer.logs()
        labels = {"source": "pubsub", "category": "malformed"}
        assert consumer.metric("heroic_consumer_messages_malformed_total", **labels) == 2
        assert consumer.metric("heroic_consumer_samples_decoded_total", source="pubsub") == 500
    finally:
        assert consumer.stop() == 0, consumer.logs()
