"""Pipeline behaviour over an in-memory source and the memory backends: every good point is
written, commits never pass an unwritten message, malformed input is skipped, outages pause
and retry, stop drains."""

from __future__ import annotations

import asyncio
import base64

import pytest

from heroic_consumer.batch_decode import UNSUPPORTED_DISTRIBUTION
from heroic_consumer.pipeline import PipelineSettings
from heroic_consumer.writer import Backoff, Functions
from heroic_core.backends.memory import MemoryMetricBackend
from heroic_core.hql import parse_filter
from heroic_core.model import Series
from tests.unit.consumer.helpers import EVERYTHING, Harness, eventually, metric

pytestmark = pytest.mark.anyio

PARTITION = ("metrics", 0)


async def test_good_messages_are_written_to_every_backend_then_committed() -> None:
    h = Harness()
    for i in range(25):
        h.source.produce(metric("cpu", 1000 + i, float(i), host="a"))
    h.start()
    await eventually(lambda: h.source.committed.get(PARTITION) == 24)
    assert await h.finish() is True
    series = Series("cpu", {"host": "a"})
    assert await h.points(series) == [(1000 + i, float(i)) for i in range(25)]
    assert await h.indexed() == [series]
    assert h.counter("heroic_consumer_messages_committed_total", source="memory") == 25


async def test_malformed_message_is_counted_and_skipped_without_losing_neighbours() -> None:
    h = Harness()
    h.source.produce(metric("cpu", 1000, 1.0))
    bad = h.source.produce(b'{"version": "1.1.0", "key": "cpu", "value": 2}')  # no time
    h.source.produce(b"not json")
    h.source.produce(metric("cpu", 1003, 4.0))
    h.start()
    await eventually(lambda: h.source.committed.get(PARTITION) == 3)
    await h.finish()
    assert await h.points(Series("cpu")) == [(1000, 1.0), (1003, 4.0)]
    labels = {"source": "memory", "category": "malformed"}
    assert h.counter("heroic_consumer_messages_malformed_total", **labels) == 2
    assert bad.offset == 1
    assert h.pipeline.tracker.pending() == 0  # the rejected ones are handled, hence committed


async def test_rejected_messages_go_to_the_dead_letter_topic_before_commit() -> None:
    h = Harness()
    h.source.dead_letter_topic = "dead"
    h.source.dead_letter_failures = 2
    h.source.produce(b"[1, 2]")
    h.source.produce(metric("cpu", 1001, 1.0))
    h.start()
    await eventually(lambda: h.source.committed.get(PARTITION) == 1)
    await h.finish()
    assert [(r.message.offset, r.reason) for r in h.source.dead_letters] == [
        (0, "expected an object, but got list")
    ]
    assert h.counter("heroic_consumer_messages_dead_lettered_total", source="memory") == 1


async def test_commit_waits_for_an_earlier_batch_that_is_still_writing() -> None:
    settings = PipelineSettings(batch_size=2, fetch_timeout=0.001, max_in_flight=4)
    h = Harness(settings=settings)
    h.metrics.gate = asyncio.Event()
    h.source.produce(metric("a", 1000, 1.0))
    h.source.produce(metric("a", 1001, 1.0))
    h.start()
    await eventually(lambda: h.metrics.attempts == 1)  # batch 1 blocked at the gate
    h.metrics.gate = None  # later batches pass
    for i in range(4):
        h.source.produce(metric("b", 2000 + i, 1.0))
    await eventually(lambda: h.metrics.attempts == 3)
    await asyncio.sleep(0.05)
    assert h.source.committed == {}  # batches 2 and 3 are written, batch 1 is not
    assert len(await h.points(Series("b"))) == 4
    assert h.pipeline.tracker.pending() == 6


async def test_released_gate_commits_everything_in_offset_order() -> None:
    settings = PipelineSettings(batch_size=2, fetch_timeout=0.001, max_in_flight=4)
    h = Harness(settings=settings)
    gate = asyncio.Event()
    h.metrics.gate = gate
    for i in range(6):
        h.source.produce(metric("a", 1000 + i, float(i)))
    h.start()
    await eventually(lambda: h.metrics.attempts == 3)
    gate.set()
    await eventually(lambda: h.source.committed.get(PARTITION) == 5)
    await h.finish()
    committed = [offset for call in h.source.commit_calls for _, offset in call]
    assert committed == sorted(committed)
    assert committed[-1] == 5


async def test_backend_outage_retries_with_backoff_and_commits_only_after_success() -> None:
    h = Harness()
    h.metrics.failures = 3
    h.source.produce(metric("cpu", 1000, 1.0))
    h.start()
    await eventually(lambda: h.metrics.attempts >= 2)
    assert h.source.committed == {}
    assert h.pipeline.writer.healthy is False
    await eventually(lambda: h.source.committed.get(PARTITION) == 0)
    await h.finish()
    assert await h.points(Series("cpu")) == [(1000, 1.0)]
    assert h.counter("heroic_consumer_errors_total", backend="faulty", function="metrics") == 3
    assert h.pipeline.writer.healthy is True


async def test_only_the_failed_backend_write_is_retried() -> None:
    h = Harness()
    h.metrics.failures = 2
    h.source.produce(metric("cpu", 1000, 1.0))
    h.start()
    await eventually(lambda: h.source.committed.get(PARTITION) == 0)
    await h.finish()
    labels = {"backend": "memory", "function": "metadata"}
    assert h.counter("heroic_consumer_writes_total", **labels) == 1


async def test_slow_backend_pauses_the_source_instead_of_buffering() -> None:
    settings = PipelineSettings(batch_size=1, fetch_timeout=0.001, max_in_flight=2)
    h = Harness(settings=settings)
    gate = asyncio.Event()
    h.metrics.gate = gate
    for i in range(10):
        h.source.produce(metric("cpu", 1000 + i, 1.0))
    h.start()
    await eventually(lambda: h.source.paused)
    await asyncio.sleep(0.05)
    assert h.source.remaining() == 8  # only max_in_flight batches were taken
    assert h.counter("heroic_consumer_paused") == 1
    gate.set()
    await eventually(lambda: h.source.committed.get(PARTITION) == 9)
    # The commit of the last batch can land in a turn that began paused; the turn after it
    # resumes. Checked before stopping, since a stopped loop takes no further turn.
    await eventually(lambda: h.source.paused is False)
    await h.finish()
    assert len(await h.points(Series("cpu"))) == 10


async def test_uncommitted_messages_held_back_by_a_slow_one_pause_the_source() -> None:
    settings = PipelineSettings(
        batch_size=1, fetch_timeout=0.001, max_in_flight=3, max_uncommitted=5
    )
    h = Harness(settings=settings)
    gate = asyncio.Event()
    h.metrics.gate, h.metrics.gated_keys = gate, {"slow"}
    h.source.produce(metric("slow", 1000, 1.0))
    for i in range(20):
        h.source.produce(metric("fast", 1000 + i, 1.0))
    h.start()
    await eventually(lambda: h.source.paused)
    await asyncio.sleep(0.05)
    assert h.pipeline.tracker.pending() == 5  # 1 slow + 4 written, none committable
    assert h.source.remaining() == 16
    assert h.source.committed == {}
    gate.set()
    await eventually(lambda: h.source.committed.get(PARTITION) == 20)
    await h.finish()


async def test_stop_finishes_the_batch_in_flight_and_commits_it() -> None:
    h = Harness()
    gate = asyncio.Event()
    h.metrics.gate = gate
    h.source.produce(metric("cpu", 1000, 1.0))
    h.start()
    await eventually(lambda: h.metrics.attempts == 1)
    h.stop.set()
    await asyncio.sleep(0.02)
    gate.set()
    assert await h.finish() is True
    assert h.source.committed == {PARTITION: 0}
    assert await h.points(Series("cpu")) == [(1000, 1.0)]


async def test_stop_during_an_outage_leaves_the_batch_uncommitted() -> None:
    settings = PipelineSettings(batch_size=10, fetch_timeout=0.001, stop_timeout=0.1)
    h = Harness(settings=settings)
    h.metrics.failures = 10**6
    h.source.produce(metric("cpu", 1000, 1.0))
    h.start()
    await eventually(lambda: h.metrics.attempts >= 1)
    assert await h.finish() is False
    assert h.source.committed == {}


async def test_write_functions_subset_writes_only_metadata() -> None:
    h = Harness(functions=Functions(metrics=False, metadata=True, suggest=False))
    h.source.produce(metric("cpu", 1000, 1.0, host="a"))
    h.start()
    await eventually(lambda: h.source.committed.get(PARTITION) == 0)
    await h.finish()
    assert await h.points(Series("cpu", {"host": "a"})) == []
    assert await h.indexed() == [Series("cpu", {"host": "a"})]
    assert h.metrics.attempts == 0


async def test_ingestion_filter_drops_series_that_do_not_match() -> None:
    h = Harness(filter=parse_filter("host = a"))
    h.source.produce(metric("cpu", 1000, 1.0, host="a"))
    h.source.produce(metric("cpu", 1000, 2.0, host="b"))
    h.start()
    await eventually(lambda: h.source.committed.get(PARTITION) == 1)
    await h.finish()
    assert await h.indexed() == [Series("cpu", {"host": "a"})]
    assert h.counter("heroic_consumer_samples_filtered_total") == 1


def _distribution(key: str, payload: bytes = b"\x00\x01\x02", time: int = 5) -> bytes:
    value = base64.b64encode(payload)
    return (
        b'{"version": "2.0.0", "key": "' + key.encode() + b'", "time": ' + str(time).encode()
        + b', "value": {"distributionValue": "' + value + b'"}}'
    )  # fmt: skip


async def test_distribution_points_are_stored_beside_points() -> None:
    h = Harness()
    h.source.produce(_distribution("latency", b"sketch-1", time=5))
    h.source.produce(metric("cpu", 1000, 1.0, host="a"))
    h.source.produce(_distribution("latency", b"sketch-2", time=9))
    h.start()
    await eventually(lambda: h.source.committed.get(PARTITION) == 2)
    await h.finish()
    stored = await h.metrics.fetch_distributions(Series("latency"), EVERYTHING)
    assert list(stored) == [(5, b"sketch-1"), (9, b"sketch-2")]
    assert await h.points(Series("cpu", {"host": "a"})) == [(1000, 1.0)]
    assert await h.indexed() == [Series("cpu", {"host": "a"}), Series("latency")]


class PointsOnlyBackend:
    """A metric backend without distribution storage (as upstream's Cassandra backend)."""

    def __init__(self) -> None:
        self.inner = MemoryMetricBackend("points-only", ("points-only",))
        self.id, self.groups = self.inner.id, self.inner.groups
        self.write, self.fetch = self.inner.write, self.inner.fetch
        self.is_ready, self.configure, self.close = (
            self.inner.is_ready, self.inner.configure, self.inner.close,
        )  # fmt: skip


async def test_distribution_points_are_rejected_when_no_metric_backend_stores_them() -> None:
    h = Harness(metrics=PointsOnlyBackend())
    h.source.produce(_distribution("latency"))
    h.source.produce(metric("cpu", 1000, 1.0, host="a"))
    h.start()
    await eventually(lambda: h.source.committed.get(PARTITION) == 1)
    await h.finish()
    labels = {"source": "memory", "category": "unsupported"}
    assert h.counter("heroic_consumer_messages_malformed_total", **labels) == 1
    assert await h.indexed() == [Series("cpu", {"host": "a"})]
    assert "no metric backend" in UNSUPPORTED_DISTRIBUTION


async def test_distribution_points_are_indexed_by_a_metadata_only_consumer() -> None:
    h = Harness(functions=Functions(metrics=False, metadata=True, suggest=True))
    h.source.produce(_distribution("latency"))
    h.start()
    await eventually(lambda: h.source.committed.get(PARTITION) == 0)
    await h.finish()
    assert await h.indexed() == [Series("latency")]


async def test_partitions_are_committed_independently() -> None:
    settings = PipelineSettings(batch_size=1, fetch_timeout=0.001, max_in_flight=8)
    h = Harness(partitions=2, settings=settings)
    for i in range(3):
        h.source.produce(metric("a", 1000 + i, 1.0), partition=0)
        h.source.produce(metric("b", 1000 + i, 1.0), partition=1)
    h.start()
    await eventually(lambda: h.source.committed == {PARTITION: 2, ("metrics", 1): 2})
    await h.finish()


async def test_revoked_partition_is_not_committed_after_revocation() -> None:
    h = Harness()
    gate = asyncio.Event()
    h.metrics.gate = gate
    h.source.produce(metric("a", 1000, 1.0))
    h.start()
    await eventually(lambda: h.metrics.attempts == 1)
    h.source.pending_revoke = [PARTITION]
    await eventually(lambda: h.pipeline.tracker.pending() == 0)
    gate.set()
    await asyncio.sleep(0.05)
    await h.finish()
    assert h.source.committed == {}


async def test_backoff_grows_and_is_capped() -> None:
    backoff = Backoff(initial=1.0, maximum=8.0)
    delays = [backoff.delay(n) for n in range(6)]
    assert 0.8 <= delays[0] <= 1.2
    assert 3.2 <= delays[2] <= 4.8
    assert all(d <= 8.0 * 1.2 for d in delays)
    assert delays[5] >= 8.0 * 0.8
