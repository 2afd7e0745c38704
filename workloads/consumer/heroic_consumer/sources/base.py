"""What a message source looks like to the pipeline: ``Message``, ``Fetched``, ``Rejected`` and
the ``MessageSource`` Protocol.

A source hands out messages in order per partition and later commits (Kafka) or acknowledges
(Pub/Sub) exactly the messages the pipeline passes back. The pipeline decides *when*: only
after every configured write of a message and of everything before it on its partition
succeeded. Sources never decode, write or decide what is safe to commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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
    (Pub/Sub, with ``ack_id``).
    """

    payload: bytes
    topic: str
    partition: Partition | None = None
    offset: int = -1
    message_id: str = ""
    ack_id: str = ""

    def context(self) -> dict[str, Any]:
        """Where the message came from, for log records and dead-letter headers."""
        if self.partition is not None:
            return {"topic": self.topic, "partition": self.partition[1], "offset": self.offset}
        return {"subscription": self.topic, "message_id": self.message_id}


class MessageBatch:
    """The messages of one fetch, in the order the source delivered them, without an object
    per message: ``payloads``, and per ordered partition its ``(first offset, last offset,
    count)`` (``spans``) or per unordered message its ``ack_ids``. ``message(i)`` builds the
    ``Message`` of payload ``i`` when one is needed (a rejected message's log line)."""

    __slots__ = ("_locate", "ack_ids", "payloads", "spans")

    def __init__(
        self,
        payloads: list[bytes],
        locate: Callable[[int], Message],
        spans: dict[Partition, tuple[int, int, int]] | None = None,
        ack_ids: list[str] | None = None,
    ) -> None:
        self.payloads = payloads
        self.spans = spans or {}
        self.ack_ids = ack_ids or []
        self._locate = locate

    @classmethod
    def of(cls, messages: Sequence[Message]) -> MessageBatch:
        """A batch of ready-made messages (Pub/Sub, tests)."""
        spans: dict[Partition, tuple[int, int, int]] = {}
        for m in messages:
            if m.partition is not None:
                first, _, count = spans.get(m.partition, (m.offset, 0, 0))
                spans[m.partition] = (first, m.offset, count + 1)
        ack_ids = [m.ack_id for m in messages if m.partition is None]
        return cls([m.payload for m in messages], messages.__getitem__, spans, ack_ids)

    def __len__(self) -> int:
        return len(self.payloads)

    def message(self, index: int) -> Message:
        return self._locate(index)

    def messages(self) -> list[Message]:
        return [self._locate(i) for i in range(len(self.payloads))]


@dataclass(frozen=True, slots=True)
class Fetched:
    """What one fetch returned; ``revoked`` lists partitions this consumer no longer owns."""

    batch: MessageBatch
    revoked: tuple[Partition, ...] = ()


def _nowhere(index: int) -> Message:
    raise IndexError(f"message {index} of an empty batch")


#: What a fetch that found nothing returns.
EMPTY = MessageBatch([], _nowhere)


@dataclass(slots=True)
class Released:
    """What may be committed now: per partition the newest offset whose message and every one
    before it are handled, and the ack ids of handled unordered messages; ``count`` messages in
    all."""

    offsets: dict[Partition, int] = field(default_factory=dict)
    ack_ids: list[str] = field(default_factory=list)
    count: int = 0

    def __bool__(self) -> bool:
        return bool(self.offsets or self.ack_ids)


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

    async def commit(self, released: Released, *, final: bool = False) -> None:
        """Commit the offsets / ack the ids of ``released``; ``final`` waits for the broker."""
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
