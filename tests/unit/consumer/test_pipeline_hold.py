"""Pausing on request (the shell's ``pause``): once ``hold`` returns nothing more is handed out,
batches already being written still finish and commit, ``release`` consumes the rest, and
nothing is lost or committed out of order."""

from __future__ import annotations

import asyncio

import pytest

from heroic_core.model import Series
from tests.unit.consumer.helpers import Harness, eventually, metric

pytestmark = pytest.mark.anyio

PARTITION = ("metrics", 0)


def _produce(h: Harness, start: int, count: int) -> None:
    for i in range(start, start + count):
        h.source.produce(metric("cpu", 1000 + i, float(i), host="a"))


async def _turns(h: Harness, n: int = 20) -> None:
    """Let the pipeline loop turn a few times."""
    for _ in range(n):
        await asyncio.sleep(0.002)


async def test_nothing_produced_while_held_is_consumed_until_released() -> None:
    h = Harness()
    _produce(h, 0, 5)
    h.start()
    await eventually(lambda: h.source.committed.get(PARTITION) == 4)
    await h.pipeline.hold()
    assert h.source.paused
    _produce(h, 5, 5)
    await _turns(h)
    assert h.counter("heroic_consumer_messages_consumed_total", source="memory") == 5
    assert h.source.remaining() == 5
    assert h.counter("heroic_consumer_held") == 1
    h.pipeline.release()
    await eventually(lambda: h.source.committed.get(PARTITION) == 9)
    assert h.counter("heroic_consumer_held") == 0
    assert await h.finish() is True
    assert len(await h.points(Series("cpu", {"host": "a"}))) == 10


async def test_batches_in_flight_when_held_still_finish_and_commit() -> None:
    h = Harness()
    h.metrics.gate = asyncio.Event()
    _produce(h, 0, 3)
    h.start()
    await eventually(lambda: h.metrics.attempts > 0)
    await h.pipeline.hold()
    assert PARTITION not in h.source.committed
    h.metrics.gate.set()
    await eventually(lambda: h.source.committed.get(PARTITION) == 2)
    assert h.pipeline.held
    assert h.source.paused
    assert await h.finish() is True


async def test_held_before_start_consumes_nothing_from_the_first_turn() -> None:
    h = Harness()
    _produce(h, 0, 4)
    await h.pipeline.hold()
    h.start()
    await _turns(h)
    assert h.source.remaining() == 4
    h.pipeline.release()
    await eventually(lambda: h.source.committed.get(PARTITION) == 3)
    assert await h.finish() is True


async def test_held_pipeline_keeps_turning_so_liveness_holds() -> None:
    h = Harness()
    h.start()
    await h.pipeline.hold()
    before = h.pipeline.heartbeat
    await _turns(h)
    assert h.pipeline.heartbeat > before
    assert await h.finish() is True
