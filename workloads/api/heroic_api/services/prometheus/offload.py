"""PromQL evaluation off the event loop: the engine's numpy work runs on a worker thread (in an
event loop of its own), while every storage call is sent back to the node's loop, where the
backend clients live. A large query then never stalls other requests or health probes."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from heroic_core.promql.selectors import LabelMatcher, Storage
from heroic_core.promql.values import RawSeries

T = TypeVar("T")


class _Bridged:
    """A ``Storage`` for the worker loop that runs each call on ``home``."""

    def __init__(self, storage: Storage, home: asyncio.AbstractEventLoop) -> None:
        self.storage = storage
        self.home = home

    async def select(
        self, matchers: Sequence[LabelMatcher], start: int, end: int
    ) -> list[RawSeries]:
        future = asyncio.run_coroutine_threadsafe(
            self.storage.select(matchers, start, end), self.home
        )
        return await asyncio.wrap_future(future)


class _Worker:
    """One evaluation on a worker thread, cancellable from the node's loop."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.task: asyncio.Task[object] | None = None
        self.cancelled = False

    def run(self, work: Callable[[], Awaitable[T]]) -> T:
        loop = asyncio.new_event_loop()
        try:
            with self.lock:
                if self.cancelled:
                    raise asyncio.CancelledError
                task = loop.create_task(_wrap(work))
                self.loop, self.task = loop, task
            return loop.run_until_complete(task)
        finally:
            loop.close()

    def cancel(self) -> None:
        with self.lock:
            self.cancelled = True
            if self.loop is not None and self.task is not None and not self.loop.is_closed():
                self.loop.call_soon_threadsafe(self.task.cancel)


async def _wrap(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


async def off_loop(work: Callable[[Storage], Awaitable[T]], storage: Storage, timeout: float) -> T:
    """``work(storage)`` on a worker thread; ``TimeoutError`` (and the work cancelled) after
    ``timeout`` seconds."""
    home = asyncio.get_running_loop()
    bridged = _Bridged(storage, home)
    worker = _Worker()
    future = home.run_in_executor(None, worker.run, lambda: work(bridged))
    try:
        return await asyncio.wait_for(asyncio.shield(future), timeout)
    except (TimeoutError, asyncio.CancelledError):
        worker.cancel()
        raise
