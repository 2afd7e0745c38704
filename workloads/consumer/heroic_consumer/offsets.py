"""``CommitTracker``: which consumed messages may be committed now (pure bookkeeping).

At-least-once rule: a message of an ordered partition is released for commit only once it and
every message fetched before it on that partition are ``done``. Unordered messages (Pub/Sub)
are released as soon as they are done. Revoked partitions are forgotten: their in-flight
messages are never released, so the next owner gets them again. No I/O here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

from heroic_consumer.sources.base import Message, Partition


class CommitTracker:
    """Messages consumed but not yet committed, per partition in fetch order."""

    def __init__(self) -> None:
        self._ordered: dict[Partition, deque[Message]] = {}
        self._unordered: set[int] = set()
        self._released_unordered: list[Message] = []

    def track(self, messages: Iterable[Message]) -> None:
        """Register freshly fetched messages (in the order the source delivered them)."""
        for message in messages:
            if message.partition is None:
                self._unordered.add(id(message))
            else:
                queue = self._ordered.get(message.partition)
                if queue is None:
                    queue = self._ordered[message.partition] = deque()
                queue.append(message)

    def mark_done(self, messages: Iterable[Message]) -> None:
        """Every configured write of ``messages`` succeeded (or they were dead-lettered)."""
        for message in messages:
            message.done = True
            message.payload = b""  # not needed any more; only its position is
            if message.partition is None and id(message) in self._unordered:
                self._unordered.discard(id(message))
                self._released_unordered.append(message)

    def release(self) -> list[Message]:
        """Messages that may be committed now, each returned once; oldest first per partition."""
        out = self._released_unordered
        self._released_unordered = []
        for queue in self._ordered.values():
            while queue and queue[0].done:
                out.append(queue.popleft())
        return out

    def forget(self, partitions: Sequence[Partition]) -> int:
        """Drop revoked partitions; returns how many uncommitted messages were dropped."""
        dropped = 0
        for partition in partitions:
            queue = self._ordered.pop(partition, None)
            dropped += len(queue) if queue else 0
        return dropped

    def pending(self) -> int:
        """Messages consumed but not yet released."""
        return len(self._unordered) + sum(len(q) for q in self._ordered.values())
