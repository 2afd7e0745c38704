"""``FlowControl``: how many messages (and bytes) the pullers of one Pub/Sub subscription may
hold unacknowledged, upstream's ``maxOutstandingElementCount`` / ``maxOutstandingRequestBytes``.

The pullers share one instance. Before a pull a puller ``reserve``s room for the messages it asks
for, so that pullers pulling at the same time cannot together exceed the message bound; after
the pull it ``admit``s what arrived, in order, while the byte bound allows (the rest the caller
hands back to Pub/Sub). Acknowledged messages are ``release``d. One message is always admitted
when nothing is held, so a message larger than the byte bound is still consumed (alone).
google-cloud-pubsub's own ``FlowControl`` serves only its streaming ``subscribe()``; our
synchronous pulls need this small counter. Pure bookkeeping on the event loop: no I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence


class FlowControl:
    """Messages and bytes held unacknowledged, bounded by ``max_messages`` and ``max_bytes``."""

    def __init__(self, max_messages: int, max_bytes: int) -> None:
        if max_messages < 1 or max_bytes < 1:
            raise ValueError("flow control bounds must be positive")
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.messages = 0
        self.bytes = 0
        self._reserved = 0
        self._changed = asyncio.Event()

    def room(self) -> int:
        """Messages that may be pulled now (0 while either bound is reached)."""
        if self.bytes >= self.max_bytes:
            return 0
        return max(0, self.max_messages - self.messages - self._reserved)

    def reserve(self, wanted: int) -> int:
        """Reserve room for up to ``wanted`` messages; returns how many were granted."""
        granted = min(max(0, wanted), self.room())
        self._reserved += granted
        return granted

    def admit(self, granted: int, sizes: Sequence[int]) -> int:
        """Settle a reservation of ``granted`` with the pulled messages' ``sizes`` (at most
        ``granted`` of them); returns how many of them, from the first, are admitted."""
        self._reserved -= granted
        admitted = 0
        for size in sizes[:granted]:
            if self.bytes + size > self.max_bytes and (self.messages or admitted):
                break
            self.messages += 1
            self.bytes += size
            admitted += 1
        if admitted < granted:
            self._notify()
        return admitted

    def release(self, messages: int, size: int) -> None:
        """``messages`` of ``size`` bytes in all were acknowledged (or handed back)."""
        if messages <= 0:
            return
        self.messages = max(0, self.messages - messages)
        self.bytes = max(0, self.bytes - size)
        self._notify()

    async def wait_for_room(self, timeout: float) -> None:
        """Return once there is room, or after ``timeout`` seconds."""
        if self.room():
            return
        changed = self._changed
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
