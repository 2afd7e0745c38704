"""When a Kafka source commits: after every batch, or with ``transactional`` every
``transactionCommitInterval`` (the first time after at most 2 s), at the end, and for partitions
being revoked."""

from __future__ import annotations

from heroic_consumer.sources.commit_schedule import CommitSchedule


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_without_an_interval_everything_is_committed_at_once() -> None:
    schedule = CommitSchedule(0.0)
    assert schedule.take({("t", 0): 5}) == {("t", 0): 5}
    assert schedule.take({}) == {}


def test_with_an_interval_offsets_wait_until_it_has_passed() -> None:
    clock = Clock()
    schedule = CommitSchedule(30.0, clock)
    assert schedule.take({("t", 0): 5}) == {}
    assert schedule.take({("t", 0): 9, ("t", 1): 2}) == {}
    clock.now += 2.0  # the first commit comes after at most 2 s
    assert schedule.take({}) == {("t", 0): 9, ("t", 1): 2}
    assert schedule.take({("t", 0): 12}) == {}
    clock.now += 29.0
    assert schedule.take({}) == {}
    clock.now += 1.0
    assert schedule.take({}) == {("t", 0): 12}


def test_a_short_interval_sets_the_first_commit_too() -> None:
    clock = Clock()
    schedule = CommitSchedule(0.5, clock)
    assert schedule.take({("t", 0): 1}) == {}
    clock.now += 0.5
    assert schedule.take({}) == {("t", 0): 1}


def test_a_final_commit_takes_everything_waiting() -> None:
    schedule = CommitSchedule(30.0, Clock())
    schedule.take({("t", 0): 5})
    assert schedule.take({("t", 1): 3}, final=True) == {("t", 0): 5, ("t", 1): 3}


def test_revoked_partitions_are_taken_out_alone() -> None:
    schedule = CommitSchedule(30.0, Clock())
    schedule.take({("t", 0): 5, ("t", 1): 3})
    assert schedule.take_partitions([("t", 1), ("t", 7)]) == {("t", 1): 3}
    assert schedule.take({}, final=True) == {("t", 0): 5}
