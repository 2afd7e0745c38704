"""``CommitTracker``: which fetched messages may be committed now (pure bookkeeping).

At-least-once rule: a message of an ordered partition is released for commit only once it and
every message fetched before it on that partition are handled. The unit is a fetched batch (a
``Ticket``): it is handled when each of the tasks the pipeline made of it (its write, its
rejects) finished, so the bookkeeping costs a few operations per batch and partition, not per
message. Unordered messages (Pub/Sub) are released with their batch. Revoked partitions are
forgotten: their in-flight messages are never released, so the next owner gets them again.
No I/O here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from heroic_consumer.sources.base import MessageBatch, Partition, Released


class Ticket:
    """The bookkeeping of one fetched batch: how many of its tasks are still open."""

    __slots__ = ("ack_ids", "open")

    def __init__(self, tasks: int, ack_ids: list[str]) -> None:
        self.open = tasks
        self.ack_ids = ack_ids


class CommitTracker:
    """Batches consumed but not yet committed, per partition in fetch order."""

    def __init__(self) -> None:
        #: Per partition: (ticket, last offset, message count) in fetch order.
        self._ordered: dict[Partition, deque[tuple[Ticket, int, int]]] = {}
        self._unordered: set[Ticket] = set()
        self._released = Released()
        self._pending = 0

    def track(self, batch: MessageBatch, tasks: int) -> Ticket:
        """Register a freshly fetched batch whose handling takes ``tasks`` ``finish`` calls."""
        ticket = Ticket(tasks, batch.ack_ids)
        for partition, (_, last, count) in batch.spans.items():
            queue = self._ordered.get(partition)
            if queue is None:
                queue = self._ordered[partition] = deque()
            queue.append((ticket, last, count))
            self._pending += count
        if batch.ack_ids:
            self._unordered.add(ticket)
            self._pending += len(batch.ack_ids)
        if tasks <= 0:
            self._close(ticket)
        return ticket

    def finish(self, ticket: Ticket) -> None:
        """One task of ``ticket`` is done (its writes succeeded, or its rejects are handled)."""
        ticket.open -= 1
        if ticket.open == 0:
            self._close(ticket)

    def _close(self, ticket: Ticket) -> None:
        ticket.open = 0
        if ticket in self._unordered:
            self._unordered.discard(ticket)
            self._released.ack_ids.extend(ticket.ack_ids)
            self._released.count += len(ticket.ack_ids)
            self._pending -= len(ticket.ack_ids)

    def release(self) -> Released:
        """What may be committed now; each message is released once."""
        out, self._released = self._released, Released()
        for partition, queue in self._ordered.items():
            while queue and queue[0][0].open == 0:
                _, last, count = queue.popleft()
                out.offsets[partition] = last
                out.count += count
                self._pending -= count
        return out

    def forget(self, partitions: Sequence[Partition]) -> int:
        """Drop revoked partitions; returns how many uncommitted messages were dropped."""
        dropped = 0
        for partition in partitions:
            queue = self._ordered.pop(partition, None)
            dropped += sum(count for _, _, count in queue or ())
        self._pending -= dropped
        return dropped

    def pending(self) -> int:
        """Messages consumed but not yet released."""
        return self._pending
