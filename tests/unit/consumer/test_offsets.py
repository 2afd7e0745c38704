"""CommitTracker: a message is released only when it and all before it on its partition are
done; unordered messages are released alone; revoked partitions are never released."""

from __future__ import annotations

from heroic_consumer.offsets import CommitTracker
from heroic_consumer.sources.base import Message

P0, P1 = ("t", 0), ("t", 1)


def _messages(partition: tuple[str, int], count: int, start: int = 0) -> list[Message]:
    return [Message(b"", "t", partition, start + i) for i in range(count)]


def _offsets(messages: list[Message]) -> list[tuple[object, int]]:
    return [(m.partition, m.offset) for m in messages]


def test_done_messages_after_an_unfinished_one_are_held_back() -> None:
    tracker = CommitTracker()
    batch = _messages(P0, 4)
    tracker.track(batch)
    tracker.mark_done(batch[1:])
    assert tracker.release() == []
    tracker.mark_done(batch[:1])
    assert _offsets(tracker.release()) == [(P0, 0), (P0, 1), (P0, 2), (P0, 3)]
    assert tracker.pending() == 0


def test_release_returns_each_message_once() -> None:
    tracker = CommitTracker()
    batch = _messages(P0, 2)
    tracker.track(batch)
    tracker.mark_done(batch)
    assert len(tracker.release()) == 2
    assert tracker.release() == []


def test_partitions_do_not_block_each_other() -> None:
    tracker = CommitTracker()
    a, b = _messages(P0, 2), _messages(P1, 2)
    tracker.track(a + b)
    tracker.mark_done(b)
    assert _offsets(tracker.release()) == [(P1, 0), (P1, 1)]
    assert tracker.pending() == 2


def test_unordered_messages_are_released_as_soon_as_done() -> None:
    tracker = CommitTracker()
    first, second = Message(b"", "sub", ack_id="1"), Message(b"", "sub", ack_id="2")
    tracker.track([first, second])
    tracker.mark_done([second])
    assert tracker.release() == [second]
    assert tracker.pending() == 1


def test_forgotten_partition_is_never_released() -> None:
    tracker = CommitTracker()
    batch = _messages(P0, 3)
    tracker.track(batch)
    assert tracker.forget([P0, P1]) == 3
    tracker.mark_done(batch)
    assert tracker.release() == []


def test_reassigned_partition_starts_a_new_sequence() -> None:
    tracker = CommitTracker()
    old = _messages(P0, 2)
    tracker.track(old)
    tracker.forget([P0])
    new = _messages(P0, 2, start=0)
    tracker.track(new)
    tracker.mark_done(old)
    assert tracker.release() == []
    tracker.mark_done(new)
    assert tracker.release() == new
