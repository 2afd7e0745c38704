"""``PubSubSource``: synchronous pull from a Pub/Sub subscription (google-cloud-pubsub).

As upstream, ``start`` creates the topic and the pull subscription when missing. Messages are
acknowledged only when the pipeline commits them (after their writes); until then their ack
deadline (the subscription's) is extended at half-life, so a slow backend does not cause
redelivery storms, while a killed consumer's messages come back within one deadline. Pausing
simply stops pulling. ``threadsPerSubscription`` sources (one per pipeline) pull the same
subscription in parallel and share one ``FlowControl``: a pull asks for no more messages than
``maxOutstandingElementCount`` leaves room for, and messages beyond
``maxOutstandingRequestBytes`` are handed back at once (ack deadline 0) for another pull. Pulls
ask for few enough messages that an answer stays within ``maxInboundMessageSize`` (the channel's
receive limit): the first pull takes one message to learn its size, later ones allow twice the
largest message seen each; an answer over the limit anyway halves later pulls.
``endpoint`` (or ``PUBSUB_EMULATOR_HOST``) selects an emulator: plaintext, no credentials.
Rejected messages are published to the dead-letter topic with attributes naming the error.
Client calls run on worker threads; this module never decodes or writes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1  # type: ignore[attr-defined, unused-ignore]  # namespace pkg

from heroic_consumer.sources.base import (
    EMPTY,
    Fetched,
    Message,
    MessageBatch,
    Rejected,
    Released,
    SourceError,
)
from heroic_consumer.sources.flow_control import FlowControl
from heroic_consumer.sources.pubsub_channel import subscriber_transport
from heroic_core.config import PubSubConsumerConfig

log = logging.getLogger(__name__)

T = TypeVar("T")

ACK_DEADLINE_SECONDS = 60
#: Pub/Sub accepts at most this many ack ids per acknowledge/modifyAckDeadline request.
MAX_ACK_IDS = 1000
MIN_PULL_SECONDS = 2.0
#: Most messages one pull asks for, before flow control and ``maxInboundMessageSize`` lower it.
MAX_PULL_MESSAGES = 10_000
#: What a received message adds to its payload in a pull answer (ack id, ids, time), bounded.
MESSAGE_OVERHEAD = 1024
_UNREACHABLE = (gexc.ServiceUnavailable, gexc.DeadlineExceeded, gexc.RetryError)


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + MAX_ACK_IDS] for i in range(0, len(items), MAX_ACK_IDS)]


class PubSubSource:
    """A ``MessageSource`` over one Pub/Sub subscription."""

    def __init__(
        self,
        config: PubSubConsumerConfig,
        dead_letter_topic: str | None = None,
        flow: FlowControl | None = None,
    ) -> None:
        self.config = config
        self.dead_letter_topic = dead_letter_topic
        #: Shared by the pullers of one subscription (``sources.build_sources``).
        self.flow = flow or flow_control_for(config)
        self._executor = ThreadPoolExecutor(4, thread_name_prefix="pubsub")
        self._subscriber: Any = None
        self._publisher: Any = None
        self._subscription = ""
        self._paused = False
        #: ack id -> when its deadline was last set; extended at half the lease.
        self._outstanding: dict[str, float] = {}
        #: ack id -> payload size, released from the flow control on acknowledgement.
        self._sizes: dict[str, int] = {}
        #: Most messages one pull asks for (halved when an answer exceeds the inbound limit).
        self._pull_cap = MAX_PULL_MESSAGES
        #: The largest payload pulled so far (0: none yet, so the next pull takes one).
        self._largest = 0
        self._lease = ACK_DEADLINE_SECONDS
        self._next_extend = 0.0

    @property
    def name(self) -> str:
        return "pubsub"

    @property
    def dead_letter_enabled(self) -> bool:
        return self.dead_letter_topic is not None

    async def _call(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    # --- lifecycle -------------------------------------------------------------------------

    def problem(self) -> str | None:
        """Pull errors surface through ``fetch`` (the pipeline retries); none is kept here."""
        return None

    async def start(self) -> None:
        await self._call(self._start)
        log.info("Pulling from Pub/Sub", extra={"subscription": self._subscription})

    def _start(self) -> None:
        endpoint = self.config.effective_endpoint()
        if endpoint:
            # The client library switches to plaintext without credentials on this variable.
            os.environ["PUBSUB_EMULATOR_HOST"] = endpoint
        self._publisher = pubsub_v1.PublisherClient()
        self._subscriber = pubsub_v1.SubscriberClient(
            transport=subscriber_transport(self.config, endpoint)
        )
        config = self.config
        topic = self._publisher.topic_path(config.project, config.topic)
        self._subscription = self._subscriber.subscription_path(config.project, config.subscription)
        try:
            self._ensure_topic(topic)
            self._ensure_subscription(topic)
            if self.dead_letter_topic:
                self._ensure_topic(self._dead_letter_path())
        except gexc.GoogleAPICallError as exc:
            raise SourceError(f"cannot set up Pub/Sub {self._subscription}: {exc}") from None

    def _ensure_topic(self, topic: str) -> None:
        try:
            self._publisher.create_topic(name=topic)
            log.info("Created Pub/Sub topic", extra={"topic": topic})
        except gexc.AlreadyExists:
            pass

    def _ensure_subscription(self, topic: str) -> None:
        try:
            self._subscriber.create_subscription(
                name=self._subscription, topic=topic, ack_deadline_seconds=ACK_DEADLINE_SECONDS
            )
            log.info("Created Pub/Sub subscription", extra={"subscription": self._subscription})
        except gexc.AlreadyExists:
            existing = self._subscriber.get_subscription(subscription=self._subscription)
            self._lease = max(10, int(existing.ack_deadline_seconds or ACK_DEADLINE_SECONDS))

    def _dead_letter_path(self) -> str:
        return str(self._publisher.topic_path(self.config.project, self.dead_letter_topic))

    async def close(self) -> None:
        await self._call(self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._subscriber is not None:
            self._subscriber.close()
            self._subscriber = None

    # --- fetching and acknowledging --------------------------------------------------------

    async def fetch(self, max_messages: int, timeout: float) -> Fetched:
        await self._extend_leases()
        if self._paused or max_messages <= 0:
            return Fetched(EMPTY)
        granted = self.flow.reserve(self._pull_size(max_messages))
        if not granted:
            await self.flow.wait_for_room(timeout)
            return Fetched(EMPTY)
        messages: list[Message] = []
        sizes: list[int] = []
        try:
            messages = await self._call(lambda: self._pull(granted, timeout))
            sizes = [len(m.payload) for m in messages]
        finally:  # a failed pull gives its reservation back too
            admitted = self.flow.admit(granted, sizes)
        self._largest = max(self._largest, *sizes, 0)
        if admitted < len(messages):
            await self._hand_back([m.ack_id for m in messages[admitted:]])
            messages = messages[:admitted]
        now = time.monotonic()
        for message, size in zip(messages, sizes, strict=False):
            self._outstanding[message.ack_id] = now
            self._sizes[message.ack_id] = size
        return Fetched(MessageBatch.of(messages))

    def _pull_size(self, wanted: int) -> int:
        """Messages to ask for so that the answer fits ``maxInboundMessageSize``."""
        if not self._largest:
            return min(wanted, 1)
        fits = self.config.max_inbound_message_size // (2 * (self._largest + MESSAGE_OVERHEAD))
        return max(1, min(wanted, self._pull_cap, fits))

    async def _hand_back(self, ack_ids: list[str]) -> None:
        """Messages beyond the byte bound go back to Pub/Sub now (ack deadline 0), not after
        their deadline."""
        try:
            await self._call(lambda: self._modify_deadline(ack_ids, 0))
        except gexc.GoogleAPICallError as exc:
            log.warning("Handing back messages failed: %s", exc, extra={"count": len(ack_ids)})

    def _pull(self, max_messages: int, timeout: float) -> list[Message]:
        try:
            response = self._subscriber.pull(
                subscription=self._subscription,
                max_messages=max_messages,
                timeout=max(timeout, MIN_PULL_SECONDS),
                retry=None,
            )
        except gexc.DeadlineExceeded:
            return []
        except gexc.ResourceExhausted as exc:
            return self._smaller_pulls(max_messages, exc)
        except _UNREACHABLE as exc:
            log.warning("Pub/Sub pull failed: %s", exc, extra={"subscription": self._subscription})
            return []
        except gexc.GoogleAPICallError as exc:
            raise SourceError(f"Pub/Sub pull from {self._subscription} failed: {exc}") from None
        return [
            Message(
                r.message.data, self._subscription, message_id=r.message.message_id,
                ack_id=r.ack_id,
            )
            for r in response.received_messages
        ]  # fmt: skip

    def _smaller_pulls(self, asked: int, exc: Exception) -> list[Message]:
        """A pull answer exceeded ``maxInboundMessageSize``: ask for half as many from now on;
        a single message that does not fit can never be received (as upstream: fatal)."""
        if asked <= 1:
            raise SourceError(
                f"a message of {self._subscription} is larger than maxInboundMessageSize "
                f"({self.config.max_inbound_message_size} bytes); raise it: {exc}"
            )
        self._pull_cap = max(1, asked // 2)
        log.warning(
            "Pull answer larger than maxInboundMessageSize; pulling fewer messages at a time",
            extra={"max_messages": self._pull_cap, "subscription": self._subscription},
        )
        return []

    async def commit(self, released: Released, *, final: bool = False) -> None:
        del final  # acknowledgements are synchronous either way
        ack_ids = [ack_id for ack_id in released.ack_ids if ack_id]
        if not ack_ids:
            return
        await self._call(lambda: self._acknowledge(ack_ids))
        size = 0
        for ack_id in ack_ids:
            self._outstanding.pop(ack_id, None)
            size += self._sizes.pop(ack_id, 0)
        self.flow.release(len(ack_ids), size)

    def _acknowledge(self, ack_ids: list[str]) -> None:
        for chunk in _chunks(ack_ids):
            self._subscriber.acknowledge(subscription=self._subscription, ack_ids=chunk)

    async def _extend_leases(self) -> None:
        now = time.monotonic()
        if now < self._next_extend or not self._outstanding:
            return
        self._next_extend = now + 1.0
        half = self._lease / 2
        due = [ack_id for ack_id, since in self._outstanding.items() if now - since >= half]
        if not due:
            return
        try:
            await self._call(lambda: self._extend(due))
        except gexc.GoogleAPICallError as exc:
            log.warning("Extending ack deadlines failed: %s", exc, extra={"count": len(due)})
            return
        for ack_id in due:
            if ack_id in self._outstanding:
                self._outstanding[ack_id] = now

    def _extend(self, ack_ids: list[str]) -> None:
        self._modify_deadline(ack_ids, self._lease)

    def _modify_deadline(self, ack_ids: list[str], seconds: int) -> None:
        for chunk in _chunks(ack_ids):
            self._subscriber.modify_ack_deadline(
                subscription=self._subscription, ack_ids=chunk, ack_deadline_seconds=seconds
            )

    # --- flow control, dead letters, lag ---------------------------------------------------

    async def pause(self) -> None:
        self._paused = True

    async def resume(self) -> None:
        self._paused = False

    async def dead_letter(self, rejected: Sequence[Rejected]) -> None:
        await self._call(lambda: self._dead_letter(rejected))

    def _dead_letter(self, rejected: Sequence[Rejected]) -> None:
        topic = self._dead_letter_path()
        futures = [
            self._publisher.publish(
                topic,
                item.message.payload,
                heroic_error=item.reason,
                heroic_category=item.category,
                heroic_subscription=item.message.topic,
                heroic_message_id=item.message.message_id,
            )
            for item in rejected
        ]
        for future in futures:
            future.result(timeout=30)

    async def lag(self) -> dict[str, int]:
        """Pub/Sub's backlog is only visible through Cloud Monitoring: report what the pullers
        of the subscription hold."""
        return {self.config.subscription: self.flow.messages}


def flow_control_for(config: PubSubConsumerConfig) -> FlowControl:
    """The flow control the pullers of ``config``'s subscription share."""
    return FlowControl(config.max_outstanding_element_count, config.max_outstanding_request_bytes)
