"""An in-memory ``MessageSource`` for unit tests of the pipeline logic (never used in production).

Messages are queued per partition; ``fetch`` hands them out round-robin in partition order, and
every commit, pause and dead letter is recorded so tests can assert on them.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

from heroic_consumer.sources.base import (
    Fetched,
    Message,
    MessageBatch,
    Partition,
    Rejected,
    Released,
)


class MemorySource:
    """Partitions of byte payloads; records what the pipeline does with them."""

    def __init__(self, topic: str = "metrics", partitions: int = 1) -> None:
        #: What ``problem()`` reports (tests set it to simulate a refused login).
        self.failure: str | None = None
        self.topic = topic
        self.queues: dict[Partition, deque[Message]] = {
            (topic, p): deque() for p in range(partitions)
        }
        self.next_offset = dict.fromkeys(self.queues, 0)
        self.committed: dict[Partition, int] = {}
        self.commit_calls: list[list[tuple[Partition | None, int]]] = []
        self.dead_letters: list[Rejected] = []
        self.dead_letter_topic: str | None = None
        self.dead_letter_failures = 0
        self.paused = False
        self.pause_calls = 0
        self.started = False
        self.closed = False
        self.pending_revoke: list[Partition] = []

    @property
    def name(self) -> str:
        return "memory"

    @property
    def dead_letter_enabled(self) -> bool:
        return self.dead_letter_topic is not None

    def produce(self, payload: bytes, partition: int = 0) -> Message:
        key = (self.topic, partition)
        message = Message(payload, self.topic, key, self.next_offset[key])
        self.next_offset[key] += 1
        self.queues[key].append(message)
        return message

    def remaining(self) -> int:
        return sum(len(q) for q in self.queues.values())

    def problem(self) -> str | None:
        return self.failure

    async def start(self) -> None:
        self.started = True

    async def fetch(self, max_messages: int, timeout: float) -> Fetched:
        if self.paused or not self.remaining():
            await asyncio.sleep(timeout)  # as a broker would: wait for messages
        out: list[Message] = []
        while not self.paused and len(out) < max_messages and self.remaining():
            for queue in self.queues.values():
                if queue and len(out) < max_messages:
                    out.append(queue.popleft())
        revoked, self.pending_revoke = tuple(self.pending_revoke), []
        return Fetched(MessageBatch.of(out), revoked)

    async def commit(self, released: Released, *, final: bool = False) -> None:
        del final
        self.commit_calls.append(sorted(released.offsets.items()))
        for partition, offset in released.offsets.items():
            self.committed[partition] = max(self.committed.get(partition, -1), offset)

    async def pause(self) -> None:
        self.paused = True
        self.pause_calls += 1

    async def resume(self) -> None:
        self.paused = False

    async def dead_letter(self, rejected: Sequence[Rejected]) -> None:
        if self.dead_letter_failures > 0:
            self.dead_letter_failures -= 1
            raise ConnectionError("dead-letter topic unreachable")
        self.dead_letters.extend(rejected)

    async def lag(self) -> dict[str, int]:
        return {f"{t}/{p}": len(q) for (t, p), q in self.queues.items()}

    async def close(self) -> None:
        self.closed = True
