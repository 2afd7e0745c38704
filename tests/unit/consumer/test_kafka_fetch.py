"""The Kafka source's reading of one ``consume()`` result: errors checked and left out, the
messages of partitions this member does not own left out, payloads and per-partition spans
(first and last offset, count) in arrival order."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError

from heroic_consumer.sources.base import SourceError
from heroic_consumer.sources.kafka import _batch, _owned_messages


class _Consumed:
    """What the source reads of a confluent-kafka ``Message``."""

    def __init__(
        self, topic: str | None, partition: int | None, offset: int, value: bytes | None,
        error: KafkaError | None = None,
    ) -> None:  # fmt: skip
        self._topic, self._partition, self._offset = topic, partition, offset
        self._value, self._error = value, error

    def error(self) -> KafkaError | None:
        return self._error

    def topic(self) -> str | None:
        return self._topic

    def partition(self) -> int | None:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes | None:
        return self._value


ASSIGNED = {("t", 0), ("t", 1)}


def test_messages_of_owned_partitions_make_the_batch_with_their_spans() -> None:
    raw: list[Any] = [
        _Consumed("t", 1, 40, b"a"),
        _Consumed("t", 0, 7, b"b"),
        _Consumed("t", 1, 41, None),
        _Consumed(None, None, -1, None, KafkaError(KafkaError._PARTITION_EOF)),
        _Consumed("t", 2, 3, b"not ours"),
        _Consumed("t", 1, 42, b"c"),
    ]
    items, parts = _owned_messages(raw, ASSIGNED)
    assert parts == [("t", 1), ("t", 0), ("t", 1), ("t", 1)]
    batch = _batch(items, parts)
    assert batch.payloads == [b"a", b"b", b"", b"c"]
    assert batch.spans == {("t", 1): (40, 42, 3), ("t", 0): (7, 7, 1)}
    assert batch.message(1).partition == ("t", 0)


def test_a_fatal_error_stops_the_fetch() -> None:
    fatal = KafkaError(KafkaError._FATAL, "broken", fatal=True)
    raw: list[Any] = [_Consumed("t", 0, 1, b"a"), _Consumed(None, None, -1, None, fatal)]
    with pytest.raises(SourceError, match="fatal Kafka error"):
        _owned_messages(raw, ASSIGNED)


def test_nothing_consumed_is_an_empty_batch() -> None:
    items, parts = _owned_messages([], ASSIGNED)
    batch = _batch(items, parts)
    assert (batch.payloads, batch.spans) == ([], {})
