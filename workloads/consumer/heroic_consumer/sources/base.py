"""What a message source looks like to the pipeline: ``Message``, ``Fetched``, ``Rejected`` and
the ``MessageSource`` Protocol.

A source hands out messages in order per partition and later commits (Kafka) or acknowledges
(Pub/Sub) exactly the messages the pipeline passes back. The pipeline decides *when*: only
after every configured write of a message and of everything before it on its partition
succeeded. Sources never decode, write or decide what is safe to commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from heroic_core.errors import HeroicError

#: A partition of an ordered source: ``(topic, partition)``.
Partition = tuple[str, int]


class SourceError(HeroicError):
    """The source failed in a way the node cannot recover from (the process should restart)."""


@dataclass(slots=True, eq=False)
class Message:
    """One consumed message.

    ``partition`` is set for ordered sources (Kafka): a commit of ``offset`` covers every
    earlier offset of the partition. ``None`` means each message is acknowledged on its own
    (Pub/Sub, with ``ack_id``). ``done`` is set by the pipeline once the message is handled.
    """

    payload: bytes
    topic: str
    partition: Partition | None = None
    offset: int = -1
    message_id: str = ""
    ack_id: str = ""
    done: bool = field(default=False)

    def context(self) -> dict[str, Any]:
        """Where the message came from, for log records and dead-letter headers."""
        if self.partition is not None:
            return {"topic": self.topic, "partition": self.partition[1], "offset": self.offset}
        return {"subscription": self.topic, "message_id": self.message_id}


@dataclass(frozen=True, slots=True)
class Fetched:
    """What one fetch returned; ``revoked`` lists partitions this consumer no longer owns."""

    messages: list[Message]
    revoked: tuple[Partition, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejected:
    """A message the pipeline will not write, and why (malformed or unsupported)."""

    message: Message
    reason: str
    category: str = "malformed"


class MessageSource(Protocol):
    """A stream of messages with explicit commits; every method is called from one task."""

    @property
    def name(self) -> str:
        """A short label for logs and metrics (``kafka``, ``pubsub``)."""
        ...

    @property
    def dead_letter_enabled(self) -> bool:
        """True when rejected messages are published somewhere before being committed."""
        ...

    def problem(self) -> str | None:
        """Why the source cannot consume right now (for readiness), else ``None``."""
        ...

    async def start(self) -> None:
        """Connect and subscribe; raises ``SourceError`` when that is impossible."""
        ...

    async def fetch(self, max_messages: int, timeout: float) -> Fetched:
        """Up to ``max_messages`` messages, waiting at most ``timeout`` seconds for the first."""
        ...

    async def commit(self, messages: Sequence[Message], *, final: bool = False) -> None:
        """Commit/ack ``messages`` (all handled); ``final`` waits for the broker's answer."""
        ...

    async def pause(self) -> None:
        """Stop delivering messages (backpressure) while staying a live group member."""
        ...

    async def resume(self) -> None:
        """Deliver messages again after ``pause``."""
        ...

    async def dead_letter(self, rejected: Sequence[Rejected]) -> None:
        """Publish rejected messages to the dead-letter topic; raises if that failed."""
        ...

    async def lag(self) -> dict[str, int]:
        """Messages not yet committed per partition label (empty when unknown)."""
        ...

    async def close(self) -> None:
        """Leave the group / stop pulling and release the client."""
        ...
