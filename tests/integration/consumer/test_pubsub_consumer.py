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
    pubsub.publish(workload.build(6000, malformed_every=97))
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
