"""A work queue of HeroicClusters to reconcile (the controller-runtime model, in asyncio).

Keys are ``(namespace, name)``. A key is never reconciled by two workers at once; events that
arrive while it is being reconciled coalesce into one more pass. After each pass the key is
requeued: soon on a temporary error (its ``delay``), with exponential backoff on an unexpected
one, else after the resync period with jitter (the periodic pass that repairs drift even if an
event was missed). Workers run only while ``active`` (this replica leads). No Kubernetes calls.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Protocol

from heroic_operator import metrics
from heroic_operator.errors import PermanentError, TemporaryError

logger = logging.getLogger(__name__)

Key = tuple[str, str]
MAX_BACKOFF = 300.0


class ReconcileResult(Protocol):
    @property
    def requeue_after(self) -> float | None: ...

    @property
    def found(self) -> bool: ...


ReconcileFn = Callable[[str, str], Awaitable[ReconcileResult]]


class Controller:
    def __init__(
        self,
        reconcile: ReconcileFn,
        *,
        workers: int = 4,
        resync: float = 300.0,
        jitter: float = 0.1,
    ) -> None:
        self._reconcile = reconcile
        self.workers = workers
        self.resync = resync
        self.jitter = jitter
        self._queue: asyncio.Queue[Key] = asyncio.Queue()
        self._dirty: set[Key] = set()
        self._processing: set[Key] = set()
        self._timers: dict[Key, tuple[float, asyncio.TimerHandle]] = {}
        self._failures: Counter[Key] = Counter()
        self.known: set[Key] = set()
        self.reconciles: Counter[Key] = Counter()
        self.active = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    # --- queue ----------------------------------------------------------------------------

    def enqueue(self, key: Key, delay: float = 0.0) -> None:
        """Reconcile ``key`` after ``delay`` seconds (an earlier request wins). A reconcile now
        drops the key's pending timer: every pass arms the next one when it ends."""
        self.known.add(key)
        loop = asyncio.get_running_loop()
        current = self._timers.get(key)
        if delay > 0:
            due = loop.time() + delay
            if current is not None and current[0] <= due:
                return
            if current is not None:
                current[1].cancel()
            self._timers[key] = (due, loop.call_later(delay, self._fire, key))
            return
        if current is not None:
            current[1].cancel()
            del self._timers[key]
        if key in self._dirty:
            return
        self._dirty.add(key)
        metrics.QUEUE_DEPTH.set(len(self._dirty))
        if key not in self._processing:
            self._queue.put_nowait(key)

    def _fire(self, key: Key) -> None:
        self._timers.pop(key, None)
        self.enqueue(key)

    def forget(self, key: Key) -> None:
        """Stop periodic passes of a deleted cluster."""
        self.known.discard(key)
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer[1].cancel()
        self._failures.pop(key, None)

    def set_active(self, active: bool) -> None:
        """Start or stop processing (leadership); on start every known key is queued."""
        if active and not self.active.is_set():
            self.active.set()
            for key in list(self.known):
                self.enqueue(key)
        elif not active:
            self.active.clear()

    # --- workers --------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._worker(), name=f"heroic-worker-{i}")
            for i in range(self.workers)
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for _, handle in self._timers.values():
            handle.cancel()
        self._timers.clear()

    def healthy(self) -> bool:
        return bool(self._tasks) and not any(t.done() for t in self._tasks)

    async def _worker(self) -> None:
        while True:
            key = await self._queue.get()
            await self.active.wait()
            self._dirty.discard(key)
            metrics.QUEUE_DEPTH.set(len(self._dirty))
            self._processing.add(key)
            try:
                await self._process(key)
            finally:
                self._processing.discard(key)
                if key in self._dirty:
                    self._queue.put_nowait(key)

    async def _process(self, key: Key) -> None:
        namespace, name = key
        try:
            result = await self._reconcile(namespace, name)
        except TemporaryError as exc:
            self._failures[key] += 1
            logger.warning(
                "Reconcile of %s/%s failed, retrying in %ss: %s", namespace, name, exc.delay, exc
            )
            self.enqueue(key, exc.delay or 10.0)
        except PermanentError as exc:
            self._failures.pop(key, None)
            logger.warning("HeroicCluster %s/%s cannot be reconciled: %s", namespace, name, exc)
            self.enqueue(key, self._resync_delay())
        except Exception:
            self._failures[key] += 1
            delay = min(MAX_BACKOFF, 2.0 ** self._failures[key])
            logger.exception("Reconcile of %s/%s crashed, retrying in %ss", namespace, name, delay)
            self.enqueue(key, delay)
        else:
            self._failures.pop(key, None)
            if not result.found:
                self.forget(key)
                return
            requeue = result.requeue_after
            self.enqueue(key, requeue if requeue is not None else self._resync_delay())
        finally:
            self.reconciles[key] += 1

    def _resync_delay(self) -> float:
        return self.resync * (1 + random.uniform(-self.jitter, self.jitter))  # noqa: S311 - jitter
