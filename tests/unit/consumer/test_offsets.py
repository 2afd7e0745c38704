"""CommitTracker: a batch's messages are released only when all its tasks finished and so did
every batch fetched before it on their partitions; unordered messages go with their batch;
revoked partitions are never released."""

from __future__ import annotations

from heroic_consumer.offsets import CommitTracker
from heroic_consumer.sources.base import Message, MessageBatch

P0, P1 = ("t", 0), ("t", 1)


def _batch(*spans: tuple[tuple[str, int], int, int]) -> MessageBatch:
    """Messages of ``(partition, first offset, count)`` spans, partition by partition."""
    return MessageBatch.of(
        [Message(b"", "t", p, start + i) for p, start, count in spans for i in range(count)]
    )


def test_a_finished_batch_after_an_unfinished_one_is_held_back() -> None:
    tracker = CommitTracker()
    first = tracker.track(_batch((P0, 0, 2)), tasks=1)
    second = tracker.track(_batch((P0, 2, 2)), tasks=1)
    tracker.finish(second)
    assert not tracker.release()
    assert tracker.pending() == 4
    tracker.finish(first)
    released = tracker.release()
    assert (released.offsets, released.count) == ({P0: 3}, 4)
    assert tracker.pending() == 0


def test_a_batch_waits_for_every_one_of_its_tasks() -> None:
    tracker = CommitTracker()
    ticket = tracker.track(_batch((P0, 0, 3)), tasks=2)  # its write and its rejects
    tracker.finish(ticket)
    assert not tracker.release()
    tracker.finish(ticket)
    assert tracker.release().offsets == {P0: 2}


def test_release_returns_each_message_once() -> None:
    tracker = CommitTracker()
    tracker.finish(tracker.track(_batch((P0, 0, 2)), tasks=1))
    assert tracker.release().count == 2
    assert not tracker.release()


def test_partitions_do_not_block_each_other() -> None:
    tracker = CommitTracker()
    tracker.track(_batch((P0, 0, 2)), tasks=1)
    tracker.finish(tracker.track(_batch((P1, 0, 2)), tasks=1))
    assert tracker.release().offsets == {P1: 1}
    assert tracker.pending() == 2


def test_a_batch_spanning_partitions_releases_each_of_them() -> None:
    tracker = CommitTracker()
    tracker.finish(tracker.track(_batch((P0, 5, 2), (P1, 9, 1)), tasks=1))
    released = tracker.release()
    assert (released.offsets, released.count) == ({P0: 6, P1: 9}, 3)


def test_unordered_messages_are_released_with_their_batch() -> None:
    tracker = CommitTracker()
    first = MessageBatch.of([Message(b"", "sub", ack_id="1"), Message(b"", "sub", ack_id="2")])
    second = MessageBatch.of([Message(b"", "sub", ack_id="3")])
    tracker.track(first, tasks=1)
    tracker.finish(tracker.track(second, tasks=1))
    released = tracker.release()
    assert (released.ack_ids, released.offsets, released.count) == (["3"], {}, 1)
    assert tracker.pending() == 2


def test_forgotten_partition_is_never_released() -> None:
    tracker = CommitTracker()
    ticket = tracker.track(_batch((P0, 0, 3)), tasks=1)
    assert tracker.forget([P0, P1]) == 3
    tracker.finish(ticket)
    assert not tracker.release()
    assert tracker.pending() == 0


def test_reassigned_partition_starts_a_new_sequence() -> None:
    tracker = CommitTracker()
    old = tracker.track(_batch((P0, 0, 2)), tasks=1)
    tracker.forget([P0])
    new = tracker.track(_batch((P0, 0, 2)), tasks=1)
    tracker.finish(old)
    assert not tracker.release()
    tracker.finish(new)
    assert tracker.release().offsets == {P0: 1}


def test_a_batch_with_no_task_is_done_at_once() -> None:
    tracker = CommitTracker()
    tracker.track(_batch((P0, 0, 1)), tasks=0)
    assert tracker.release().offsets == {P0: 0}
