"""PromQL evaluation runs off the node's event loop, storage calls on it, and a timeout
cancels the evaluation."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from heroic_api.services.prometheus.offload import off_loop
from heroic_core.promql.selectors import LabelMatcher, Storage
from heroic_core.promql.values import RawSeries

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class RecordingStorage:
    """Answers one empty series and records the thread each call ran on."""

    def __init__(self) -> None:
        self.threads: list[int] = []

    async def select(
        self, matchers: Sequence[LabelMatcher], start: int, end: int
    ) -> list[RawSeries]:
        self.threads.append(threading.get_ident())
        return [RawSeries((), np.array([], dtype=np.int64), np.array([]))]


async def test_work_runs_on_a_worker_and_storage_on_the_loop() -> None:
    storage = RecordingStorage()
    loop_thread = threading.get_ident()

    async def work(bridged: Storage) -> int:
        assert threading.get_ident() != loop_thread
        return len(await bridged.select([], 0, 1))

    assert await off_loop(work, storage, timeout=10) == 1
    assert storage.threads == [loop_thread]


async def test_a_timeout_cancels_the_work() -> None:
    finished = threading.Event()

    async def work(_: Storage) -> None:
        try:
            await asyncio.sleep(30)
        finally:
            finished.set()

    with pytest.raises(TimeoutError):
        await off_loop(work, RecordingStorage(), timeout=0.05)
    assert await asyncio.to_thread(finished.wait, 5)


async def test_the_loop_stays_responsive_during_work() -> None:
    release = threading.Event()

    async def work(_: Storage) -> str:
        release.wait(5)  # blocks its own thread, as numpy work does
        return "done"

    running = asyncio.ensure_future(off_loop(work, RecordingStorage(), timeout=10))
    await asyncio.sleep(0.01)
    assert not running.done()  # the loop got here while the work blocks
    release.set()
    assert await running == "done"
