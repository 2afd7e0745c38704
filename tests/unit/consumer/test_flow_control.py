"""Pub/Sub flow control: the pullers of one subscription together never hold more messages
(or, beyond a single message, more bytes) unacknowledged than the bounds allow."""

from __future__ import annotations

import asyncio

import pytest

from heroic_consumer.sources.flow_control import FlowControl

pytestmark = pytest.mark.anyio


def test_reservations_of_concurrent_pullers_never_exceed_the_message_bound() -> None:
    flow = FlowControl(max_messages=100, max_bytes=10**9)
    first, second, third = flow.reserve(60), flow.reserve(60), flow.reserve(60)
    assert (first, second, third) == (60, 40, 0)
    assert flow.admit(first, [10] * 60) == 60
    assert flow.admit(second, [10] * 25) == 25  # a short pull gives its unused room back
    assert flow.room() == 15
    assert flow.messages == 85


def test_messages_beyond_the_byte_bound_are_not_admitted() -> None:
    flow = FlowControl(max_messages=1000, max_bytes=250)
    granted = flow.reserve(10)
    assert flow.admit(granted, [100, 100, 100, 100]) == 2
    assert (flow.messages, flow.bytes) == (2, 200)
    assert flow.reserve(10) == 10  # bytes left: a pull may still bring small messages


def test_the_byte_bound_reached_stops_pulling() -> None:
    flow = FlowControl(max_messages=1000, max_bytes=100)
    flow.admit(flow.reserve(1), [100])
    assert flow.room() == 0
    assert flow.reserve(5) == 0


def test_a_message_larger_than_the_byte_bound_is_admitted_alone() -> None:
    flow = FlowControl(max_messages=10, max_bytes=100)
    assert flow.admit(flow.reserve(3), [500, 10, 10]) == 1
    assert flow.bytes == 500


def test_release_makes_room_again() -> None:
    flow = FlowControl(max_messages=2, max_bytes=10**9)
    flow.admit(flow.reserve(2), [1, 1])
    assert flow.room() == 0
    flow.release(1, 1)
    assert flow.room() == 1
    assert (flow.messages, flow.bytes) == (1, 1)


async def test_waiting_for_room_ends_when_messages_are_released() -> None:
    flow = FlowControl(max_messages=1, max_bytes=10**9)
    flow.admit(flow.reserve(1), [1])
    waiter = asyncio.create_task(flow.wait_for_room(30))
    await asyncio.sleep(0.01)
    assert not waiter.done()
    flow.release(1, 1)
    await asyncio.wait_for(waiter, 1)


async def test_waiting_for_room_gives_up_after_its_timeout() -> None:
    flow = FlowControl(max_messages=1, max_bytes=10**9)
    flow.admit(flow.reserve(1), [1])
    await asyncio.wait_for(flow.wait_for_room(0.05), 1)
    assert flow.room() == 0


@pytest.mark.parametrize(("messages", "size"), [(0, 1), (1, 0)])
def test_bounds_must_be_positive(messages: int, size: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        FlowControl(messages, size)
