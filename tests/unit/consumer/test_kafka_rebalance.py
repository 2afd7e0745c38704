"""KafkaSource's bookkeeping when an eager rebalance revokes a partition and hands it back within
one ``consume`` call: the messages dropped with the revocation are fetched again (a seek back to
the first of them), never skipped while later offsets get committed.

The confluent-kafka client is replaced by a stand-in that plays back one ``consume`` call
(callbacks then messages, as librdkafka serves them) and records seeks; no broker is involved,
this checks our own bookkeeping only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaException, TopicPartition

from heroic_consumer.sources.kafka import KafkaSource
from heroic_core.config.consumers import KafkaConsumerConfig


@dataclass
class Record:
    """What confluent-kafka's Message answers, for one message of topic t."""

    number: int
    position: int

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return "t"

    def partition(self) -> int:
        return self.number

    def offset(self) -> int:
        return self.position

    def value(self) -> bytes:
        return b"{}"


@dataclass
class StandIn:
    """Plays back ``consume`` calls: each is (callbacks to run, messages to return)."""

    calls: list[tuple[list[Callable[[], None]], list[Record]]]
    seeks: list[tuple[int, int]] = field(default_factory=list)
    refuse_seeks: int = 0

    def consume(self, num_messages: int, timeout: float) -> list[Any]:
        del num_messages, timeout
        callbacks, records = self.calls.pop(0)
        for callback in callbacks:
            callback()
        return list(records)

    def seek(self, tp: TopicPartition) -> None:
        if self.refuse_seeks:
            self.refuse_seeks -= 1
            raise KafkaException("Local: Erroneous state")
        self.seeks.append((tp.partition, tp.offset))


def source_with(stand_in: StandIn) -> KafkaSource:
    config = KafkaConsumerConfig.model_validate(
        {
            "type": "kafka",
            "schema": "com.spotify.heroic.consumer.schemas.Spotify100",
            "topics": ["t"],
            "config": {"bootstrap.servers": "x", "group.id": "g"},
        }
    )
    source = KafkaSource(config)
    source._consumer = stand_in  # type: ignore[assignment]
    return source


def tps(*partitions: int) -> list[TopicPartition]:
    return [TopicPartition("t", p) for p in partitions]


def test_a_partition_revoked_and_assigned_again_in_one_call_is_fetched_again() -> None:
    stand_in = StandIn([])
    source = source_with(stand_in)
    stand_in.calls = [
        ([lambda: source._on_assign(None, tps(0, 1))], [Record(0, 10), Record(1, 20)]),
        (
            # An eager rebalance: both revoked, partition 0 handed back, and the client already
            # read 11 and 12 of it again (and 21 of partition 1, which went elsewhere).
            [
                lambda: source._on_revoke(None, tps(0, 1)),
                lambda: source._on_assign(None, tps(0)),
            ],
            [Record(0, 11), Record(0, 12), Record(1, 21)],
        ),
    ]
    first = source._fetch(10, 0)
    assert [(m.partition, m.offset) for m in first.batch.messages()] == [
        (("t", 0), 10),
        (("t", 1), 20),
    ]
    second = source._fetch(10, 0)
    assert second.revoked == (("t", 0), ("t", 1))
    assert second.batch.messages() == []  # nothing of a revoked partition is handed out
    assert stand_in.seeks == [(0, 11)]  # partition 0 is ours again: fetch from 11 again
    assert source._next[("t", 0)] == 11


def test_a_refused_seek_is_retried_and_nothing_of_that_partition_is_handed_out_meanwhile() -> None:
    stand_in = StandIn([], refuse_seeks=1)
    source = source_with(stand_in)
    stand_in.calls = [
        ([lambda: source._on_assign(None, tps(0))], [Record(0, 5)]),
        (
            [lambda: source._on_revoke(None, tps(0)), lambda: source._on_assign(None, tps(0))],
            [Record(0, 6)],
        ),
        ([], [Record(0, 7)]),  # read past the rewind point before the seek took
        ([], [Record(0, 6), Record(0, 7)]),
    ]
    assert len(source._fetch(10, 0).batch.messages()) == 1
    assert source._fetch(10, 0).batch.messages() == []  # seek refused: deferred
    assert source._fetch(10, 0).batch.messages() == []  # seek done now; offset 7 was read too early
    assert stand_in.seeks == [(0, 6)]
    again = source._fetch(10, 0)
    assert [m.offset for m in again.batch.messages()] == [6, 7]


def test_a_partition_that_went_elsewhere_is_not_sought() -> None:
    stand_in = StandIn([])
    source = source_with(stand_in)
    stand_in.calls = [
        ([lambda: source._on_assign(None, tps(0, 1))], []),
        ([lambda: source._on_revoke(None, tps(0, 1)), lambda: source._on_assign(None, tps(1))],
         [Record(0, 3)]),
    ]  # fmt: skip
    source._fetch(10, 0)
    fetched = source._fetch(10, 0)
    assert fetched.batch.messages() == []
    assert stand_in.seeks == []
