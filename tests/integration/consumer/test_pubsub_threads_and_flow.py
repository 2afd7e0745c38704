"""Pub/Sub against the fake of the test environment: ``threadsPerSubscription`` pipelines pull in
parallel, ``maxOutstandingElementCount`` / ``maxOutstandingRequestBytes`` bound what they hold
unacknowledged together, ``maxInboundMessageSize`` limits the channel, and the consumer answers
``/status`` in upstream's body. The node runs in this process on memory backends."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from google.cloud import pubsub_v1  # type: ignore[attr-defined, unused-ignore]  # namespace pkg

from heroic_consumer.node import ConsumerNode, NodeOptions
from heroic_consumer.pipeline import PipelineSettings
from heroic_consumer.sources import build_sources
from heroic_consumer.sources.base import Fetched, MessageSource, Released, SourceError
from heroic_consumer.sources.pubsub import PubSubSource
from heroic_core.backends.factory import build_backends
from heroic_core.backends.memory import MemoryMetricBackend
from heroic_core.config import HeroicConfig, PubSubConsumerConfig
from heroic_core.model import DateRange
from tests.integration.consumer.support import SPOTIFY100, free_port

pytestmark = pytest.mark.pubsub

MEMORY = {s: {"backends": [{"type": "memory"}]} for s in ("metrics", "metadata", "suggest")}


@dataclass
class Subscription:
    project: str
    name: str
    publisher: Any
    subscriber: Any

    @property
    def topic_path(self) -> str:
        return str(self.publisher.topic_path(self.project, self.name))

    @property
    def path(self) -> str:
        return str(self.subscriber.subscription_path(self.project, self.name))

    def publish(self, payloads: list[bytes]) -> None:
        futures = [self.publisher.publish(self.topic_path, p) for p in payloads]
        for future in futures:
            future.result(timeout=60)

    def consumer(self, **settings: Any) -> dict[str, Any]:
        return {
            "type": "pubsub", "schema": SPOTIFY100, "project": self.project,
            "topic": self.name, "subscription": self.name,
            "endpoint": os.environ["PUBSUB_EMULATOR_HOST"], **settings,
        }  # fmt: skip


@pytest.fixture
def subscription() -> Iterator[Subscription]:
    project = os.environ.get("PUBSUB_PROJECT_ID", "heroic-testenv")
    sub = Subscription(
        project, f"flow-{uuid.uuid4().hex[:10]}",
        pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient(),
    )  # fmt: skip
    sub.publisher.create_topic(name=sub.topic_path)
    sub.subscriber.create_subscription(name=sub.path, topic=sub.topic_path, ack_deadline_seconds=60)
    yield sub
    sub.subscriber.delete_subscription(subscription=sub.path)
    sub.publisher.delete_topic(topic=sub.topic_path)


def points(count: int, key: str = "flow", pad: int = 0) -> list[bytes]:
    body = {"version": "1.1.0", "key": key, "attributes": {"pad": "x" * pad}}
    return [
        json.dumps(body | {"host": f"h{i % 4}", "time": 1_000 + i, "value": float(i)}).encode()
        for i in range(count)
    ]


def sources_for(config: dict[str, Any]) -> list[MessageSource]:
    return build_sources(PubSubConsumerConfig.model_validate(config))


async def _fetch_rounds(sources: list[MessageSource], rounds: int) -> list[Fetched]:
    out: list[Fetched] = []
    for _ in range(rounds):
        out += await asyncio.gather(*(s.fetch(100, 0.2) for s in sources))
    return out


def test_parallel_pullers_together_hold_at_most_max_outstanding_element_count(
    subscription: Subscription,
) -> None:
    subscription.publish(points(300))
    config = subscription.consumer(threadsPerSubscription=3, maxOutstandingElementCount=40)

    async def scenario() -> None:
        sources = sources_for(config)
        for source in sources:
            await source.start()
        try:
            fetched = await _fetch_rounds(sources, 8)
            held = [f.batch for f in fetched if len(f.batch)]
            assert sum(len(b) for b in held) == 40
            # Acknowledging ten makes room for ten more, no more.
            first = held[0]
            acked = first.ack_ids[:10]
            await sources[0].commit(Released(ack_ids=acked, count=len(acked)))
            more = await _fetch_rounds(sources, 8)
            assert sum(len(f.batch) for f in more) == len(acked)
            assert await sources[1].lag() == {subscription.name: 40}
        finally:
            for source in sources:
                await source.close()

    asyncio.run(scenario())


def test_messages_beyond_max_outstanding_request_bytes_go_back_at_once(
    subscription: Subscription,
) -> None:
    payloads = points(50, pad=400)
    subscription.publish(payloads)
    size = max(len(p) for p in payloads)
    config = subscription.consumer(threadsPerSubscription=1, maxOutstandingRequestBytes=5 * size)

    async def scenario() -> None:
        (source,) = sources_for(config)
        await source.start()
        try:
            fetched = await _fetch_rounds([source], 6)
            assert sum(len(f.batch) for f in fetched) == 5
            assert isinstance(source, PubSubSource)
            assert source.flow.bytes <= 5 * size
        finally:
            await source.close()

    asyncio.run(scenario())
    # What the source handed back is deliverable again at once, not after the 60 s deadline.
    deadline = time.monotonic() + 20
    again = 0
    while again == 0 and time.monotonic() < deadline:
        response = subscription.subscriber.pull(
            subscription=subscription.path, max_messages=100, timeout=5
        )
        again = len(response.received_messages)
    assert again > 0


def test_pulls_stay_within_max_inbound_message_size(subscription: Subscription) -> None:
    payloads = points(60, pad=900)
    subscription.publish(payloads)
    config = subscription.consumer(threadsPerSubscription=1, maxInboundMessageSize=8_000)

    async def scenario() -> int:
        (source,) = sources_for(config)
        await source.start()
        received = 0
        try:
            while received < len(payloads):
                fetched = await source.fetch(10_000, 0.5)
                batch = fetched.batch
                # Each answer fits the channel's 8 kB receive limit (about 1 kB a message).
                assert len(batch) <= 8
                received += len(batch)
                await source.commit(Released(ack_ids=batch.ack_ids, count=len(batch)))
        finally:
            await source.close()
        return received

    assert asyncio.run(asyncio.wait_for(scenario(), 120)) == len(payloads)


def test_a_message_larger_than_max_inbound_message_size_is_fatal_and_named(
    subscription: Subscription,
) -> None:
    subscription.publish(points(1, pad=20_000))
    config = subscription.consumer(threadsPerSubscription=1, maxInboundMessageSize=8_000)

    async def scenario() -> None:
        (source,) = sources_for(config)
        await source.start()
        try:
            with pytest.raises(SourceError, match="larger than maxInboundMessageSize"):
                await _fetch_rounds([source], 20)
        finally:
            await source.close()

    asyncio.run(scenario())


class PullLog:
    """Wraps each source's ``fetch``: which pipeline got messages, and how many pulls that
    brought messages were under way at once."""

    def __init__(self, node: ConsumerNode) -> None:
        self.running = 0
        self.most_at_once = 0
        self.per_pipeline = [0] * len(node.pipelines)
        for index, pipeline in enumerate(node.pipelines):
            pipeline.source.fetch = self._wrap(index, pipeline.source.fetch)  # type: ignore[method-assign, assignment]

    def _wrap(
        self, index: int, fetch: Callable[[int, float], Awaitable[Fetched]]
    ) -> Callable[[int, float], Awaitable[Fetched]]:
        async def fetch_logged(max_messages: int, timeout: float) -> Fetched:
            self.running += 1
            try:
                fetched = await fetch(max_messages, timeout)
            finally:
                self.running -= 1
            if len(fetched.batch):
                self.most_at_once = max(self.most_at_once, self.running + 1)
                self.per_pipeline[index] += len(fetched.batch)
            return fetched

        return fetch_logged


def test_threads_per_subscription_pipelines_consume_in_parallel_and_report_status(
    subscription: Subscription,
) -> None:
    count = 3000
    subscription.publish(points(count))
    config = HeroicConfig.from_dict(
        MEMORY | {"consumers": [subscription.consumer(threadsPerSubscription=4)]}
    )
    port = free_port()

    async def scenario() -> tuple[PullLog, dict[str, Any], int]:
        settings = PipelineSettings(batch_size=200, fetch_timeout=0.1, stop_timeout=30)
        options = NodeOptions(config=config, host="127.0.0.1", port=port, pipeline=settings)
        node = ConsumerNode(options, build_backends(config))
        log = PullLog(node)
        running = asyncio.create_task(node.run(handle_signals=False))
        committed = {"source": "pubsub"}
        deadline = time.monotonic() + 120
        while node.stats.registry.get_sample_value(
            "heroic_consumer_messages_committed_total", committed
        ) != float(count):
            assert time.monotonic() < deadline, log.per_pipeline
            assert not running.done()
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient() as http:
            response = await http.get(f"http://127.0.0.1:{port}/status")
        node.stop.set()
        exit_code = await running
        metrics = node.writer.metrics[0]
        assert isinstance(metrics, MemoryMetricBackend)
        stored = [await metrics.fetch(s, DateRange(0, 10**6)) for s in metrics.series()]
        assert sum(len(p) for p in stored) == count
        return log, response.json(), exit_code

    log, status, exit_code = asyncio.run(scenario())
    assert exit_code == 0
    assert sum(log.per_pipeline) == count
    assert sum(1 for n in log.per_pipeline if n) >= 2, log.per_pipeline
    assert log.most_at_once >= 2
    consumers = status["consumers"]
    assert (consumers["available"], consumers["ready"]) == (1, 1)
    assert (consumers["consumingThreads"], consumers["totalThreads"]) == (4, 4)
    assert status["ok"] is True
    assert status["backends"] == {"ok": True, "available": 1, "ready": 1}
