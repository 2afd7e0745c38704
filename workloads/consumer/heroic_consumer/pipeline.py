"""``Pipeline``: fetch -> decode -> write -> commit, at least once, with bounded memory.

Each fetch is one batch. Good messages go to ``BatchWriter`` in a task; malformed ones are
counted, logged with their position, dead-lettered when the source has a dead-letter topic,
and then handled like written ones. A message is committed only when the ``CommitTracker``
releases it (it and everything before it on its partition are done). At most
``max_in_flight`` batches are open; beyond that the source is paused (it stays a live group
member) until a batch finishes, so a slow or failing backend stops consumption instead of
growing memory. ``hold()`` pauses the same way on request (the shell's ``pause``) until
``release()``: batches in flight still finish and commit, nothing new is handed out. On stop,
open batches get ``stop_timeout`` seconds to finish, then what is done is committed. This
module does not build sources or backends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from heroic_consumer.batch_decode import BatchDecoder
from heroic_consumer.columns import Columns
from heroic_consumer.offsets import CommitTracker, Ticket
from heroic_consumer.sources.base import Fetched, MessageSource, Rejected
from heroic_consumer.stats import ConsumerStats
from heroic_consumer.writer import Backoff, BatchWriter

log = logging.getLogger(__name__)

#: Messages per fetch: large enough that a series recurs within a batch (fewer, larger writes).
DEFAULT_BATCH_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """Batching and flow-control knobs."""

    batch_size: int = DEFAULT_BATCH_SIZE
    fetch_timeout: float = 0.1
    max_in_flight: int = 4
    #: Pause above this many uncommitted messages (0: twice ``max_in_flight`` batches).
    max_uncommitted: int = 0
    stop_timeout: float = 60.0
    lag_interval: float = 5.0
    dead_letter_backoff: Backoff = field(default_factory=Backoff)


class Pipeline:
    """Consumes one source into one writer."""

    def __init__(
        self,
        source: MessageSource,
        decoder: BatchDecoder,
        writer: BatchWriter,
        stats: ConsumerStats,
        settings: PipelineSettings | None = None,
    ) -> None:
        self.source = source
        self.decoder = decoder
        self.writer = writer
        self.stats = stats
        self.settings = settings or PipelineSettings()
        self.tracker = CommitTracker()
        self.heartbeat = time.monotonic()
        self.running = False
        self._label = source.name
        self._tasks: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None
        self._paused = False
        #: Paused on request (``hold``) rather than by backpressure.
        self._held = False
        #: Set, and replaced, on every pause/resume of the source (``hold`` waits for it).
        self._pause_changed = asyncio.Event()
        self._next_lag = 0.0

    async def run(self, stop: asyncio.Event) -> bool:
        """Consume until ``stop`` is set; True when everything consumed got committed."""
        await self.source.start()
        self.running = True
        try:
            while not stop.is_set():
                await self.step()
        except BaseException:
            await self._cancel_tasks()
            raise
        finally:
            self.running = False
            self._signal_pause_change()
        return await self.drain()

    @property
    def held(self) -> bool:
        """Paused on request (``hold``), until ``release``."""
        return self._held

    async def hold(self, timeout: float = 30.0) -> None:
        """Pause on request; returns once the source is paused, so that nothing consumed
        after this returns is handed out (``TimeoutError`` if the loop does not turn)."""
        self._held = True
        self.stats.held.set(1)
        async with asyncio.timeout(timeout):
            while self.running and not self._paused:
                await self._pause_changed.wait()

    def release(self) -> None:
        """Undo ``hold``; the next turn resumes the source unless backpressure keeps it."""
        self._held = False
        self.stats.held.set(0)

    async def step(self) -> None:
        """One turn: fetch (or wait while paused), dispatch, commit what is done."""
        self.heartbeat = time.monotonic()
        self._raise_failure()
        settings = self.settings
        if self._held or self._saturated():
            await self._set_paused(True)
            if self._tasks:
                await asyncio.wait(
                    self._tasks,
                    timeout=settings.fetch_timeout * 5,
                    return_when=asyncio.FIRST_COMPLETED,
                )
            else:
                # Saturated by held-back messages with no write in flight (one is waiting for
                # its retry): nothing to wait on, so give the retry and the commit a moment.
                await asyncio.sleep(settings.fetch_timeout)
            fetched = await self.source.fetch(settings.batch_size, 0)
        else:
            await self._set_paused(False)
            fetched = await self.source.fetch(settings.batch_size, settings.fetch_timeout)
        self._dispatch(fetched)
        await self.commit()
        await self._refresh_lag()
        await asyncio.sleep(0)  # let write tasks run even if the source answered at once

    def _saturated(self) -> bool:
        """Too many open batches, or too many uncommitted messages (done ones held back by an
        earlier message that is still being retried): consuming more would only grow memory."""
        settings = self.settings
        limit = settings.max_uncommitted or 2 * settings.max_in_flight * settings.batch_size
        return len(self._tasks) >= settings.max_in_flight or self.tracker.pending() >= limit

    async def drain(self) -> bool:
        """Give open batches ``stop_timeout`` to finish, then commit what is done."""
        pending: set[asyncio.Task[None]] = set()
        if self._tasks:
            log.info("Stopping: waiting for open batches", extra={"batches": len(self._tasks)})
            _, pending = await asyncio.wait(self._tasks, timeout=self.settings.stop_timeout)
        await self._cancel_tasks()
        try:
            await self.commit(final=True)
        except Exception as exc:  # noqa: BLE001 - report and let the caller exit non-zero
            log.error("Final commit failed: %s", exc, extra={"source": self._label})
            return False
        uncommitted = self.tracker.pending()
        if pending or uncommitted or self._failure is not None:
            log.warning(
                "Stopped with uncommitted messages; they will be consumed again",
                extra={"uncommitted": uncommitted, "open_batches": len(pending)},
            )
            return False
        log.info("Stopped after committing every consumed message", extra={"source": self._label})
        return True

    async def commit(self, *, final: bool = False) -> None:
        """Commit every message the tracker releases."""
        released = self.tracker.release()
        if released or final:
            await self.source.commit(released, final=final)
            self.stats.committed.labels(self._label).inc(released.count)
        self.stats.uncommitted.set(self.tracker.pending())
        self.stats.in_flight.set(len(self._tasks))

    # --- dispatch ------------------------------------------------------------------------------

    def _dispatch(self, fetched: Fetched) -> None:
        if fetched.revoked:
            dropped = self.tracker.forget(fetched.revoked)
            log.info(
                "Partitions revoked",
                extra={"partitions": [f"{t}/{p}" for t, p in fetched.revoked], "dropped": dropped},
            )
        batch = fetched.batch
        if not len(batch):
            return
        self.stats.consumed.labels(self._label).inc(len(batch))
        decoded = self.decoder.decode(batch.payloads)
        writing = len(decoded.rejected) < len(batch)
        ticket = self.tracker.track(batch, int(writing) + int(bool(decoded.rejected)))
        if decoded.rejected:
            rejected = [Rejected(batch.message(i), why, kind) for i, why, kind in decoded.rejected]
            self._spawn(self._reject(rejected, ticket))
        if writing:
            self.stats.samples.labels(self._label).inc(len(decoded.columns))
            self._spawn(self._write(decoded.columns, ticket))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None and self._failure is None:
            self._failure = task.exception()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    async def _write(self, columns: Columns, ticket: Ticket) -> None:
        await self.writer.write_columns(columns)
        self.tracker.finish(ticket)

    async def _reject(self, rejected: Sequence[Rejected], ticket: Ticket) -> None:
        for item in rejected:
            self.stats.malformed.labels(self._label, item.category).inc()
            log.warning(
                "Rejected %s message: %s",
                item.category,
                item.reason,
                extra={**item.message.context(), "reason": item.reason},
            )
        if self.source.dead_letter_enabled:
            await self._dead_letter(rejected)
        self.tracker.finish(ticket)

    async def _dead_letter(self, rejected: Sequence[Rejected]) -> None:
        attempt = 0
        while True:
            try:
                await self.source.dead_letter(rejected)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - retried: the messages stay uncommitted
                self.stats.errors.labels("dead-letter", "dead-letter").inc()
                delay = self.settings.dead_letter_backoff.delay(attempt)
                attempt += 1
                log.error("Dead-letter publish failed: %s", exc, extra={"retry_in_s": delay})
                await asyncio.sleep(delay)
            else:
                self.stats.dead_lettered.labels(self._label).inc(len(rejected))
                return

    # --- flow control and lag ------------------------------------------------------------------

    async def _set_paused(self, paused: bool) -> None:
        if paused == self._paused:
            return
        self.stats.paused.set(1 if paused else 0)
        if paused:
            await self.source.pause()
            why = "on request" if self._held else "too many open batches or uncommitted messages"
            log.info(
                "Paused consumption: %s", why,
                extra={"source": self._label, "uncommitted": self.tracker.pending()},
            )  # fmt: skip
        else:
            await self.source.resume()
            log.info("Resumed consumption", extra={"source": self._label})
        # Only now is the source paused (or resumed): what hold() waits for.
        self._paused = paused
        self._signal_pause_change()

    def _signal_pause_change(self) -> None:
        self._pause_changed.set()
        self._pause_changed = asyncio.Event()

    async def _refresh_lag(self) -> None:
        now = time.monotonic()
        if now < self._next_lag:
            return
        self._next_lag = now + self.settings.lag_interval
        self.stats.set_lag(self._label, await self.source.lag())

    async def _cancel_tasks(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
