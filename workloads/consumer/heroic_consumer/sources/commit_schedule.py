"""``CommitSchedule``: when a Kafka source commits the offsets the pipeline handed it.

Without ``transactional`` every handed offset is committed at once (after every batch). With
``transactional: true`` handed offsets wait, and are committed together once
``transactionCommitInterval`` has passed since the last commit (the first time after at most
2 s, as upstream), at a final commit, or, per partition, when the partition is revoked. Either
way only offsets of fully written messages are ever handed over: what ``transactional`` adds
upstream (commit only after the writes) is always true here. Pure bookkeeping; the clock is
injectable; no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from heroic_consumer.sources.base import Partition

#: Upstream's first transactional commit comes after at most this many seconds.
FIRST_COMMIT_SECONDS = 2.0


class CommitSchedule:
    """Offsets (last handled offset per partition) waiting for their commit."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._next = clock() + min(FIRST_COMMIT_SECONDS, interval)
        self._waiting: dict[Partition, int] = {}

    def take(self, newest: dict[Partition, int], *, final: bool = False) -> dict[Partition, int]:
        """Add ``newest``; returns what is to be committed now (empty while waiting)."""
        if not self.interval:
            return dict(newest)
        self._waiting.update(newest)
        now = self._clock()
        if not final and now < self._next:
            return {}
        self._next = now + self.interval
        out, self._waiting = self._waiting, {}
        return out

    def take_partitions(self, partitions: Iterable[Partition]) -> dict[Partition, int]:
        """Remove and return what waits for ``partitions`` (being revoked)."""
        return {p: self._waiting.pop(p) for p in partitions if p in self._waiting}
