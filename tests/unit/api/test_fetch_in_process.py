"""Fetches from a backend that reads in process (memory) run one after another in the query's
own task, giving the event loop back between slices; a backend that waits for I/O still has up
to ``parallelism`` fetches in flight."""

from __future__ import annotations

import asyncio

import pytest

from heroic_api.services import fetch as fetch_module
from heroic_api.services.fetch import fetch_all
from heroic_core.backends.memory import MemoryMetricBackend
from heroic_core.model import DateRange, Points, Series

pytestmark = pytest.mark.anyio

SERIES = [Series("k", {"host": str(i)}) for i in range(20)]
RANGE = DateRange(0, 100)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _Recording(MemoryMetricBackend):
    """Notes how many of its fetches are in flight at once."""

    def __init__(self, *, waits: bool) -> None:
        super().__init__()
        self.waits = waits
        self.in_flight = 0
        self.most = 0

    @property
    def reads_in_process(self) -> bool:
        return not self.waits

    async def fetch(self, series: Series, range: DateRange) -> Points:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        if self.waits:
            await asyncio.sleep(0.001)
        try:
            return await super().fetch(series, range)
        finally:
            self.in_flight -= 1


async def _filled(backend: _Recording) -> _Recording:
    for one in SERIES:
        await backend.write(one, Points.of([(t, float(t)) for t in range(1, 11)]))
    return backend


async def test_an_in_process_backend_is_read_in_the_query_task_without_a_task_per_fetch() -> None:
    backend = await _filled(_Recording(waits=False))
    before = len(asyncio.all_tasks())
    seen: list[int] = []
    original = backend.fetch

    async def counting(series: Series, range: DateRange) -> Points:
        seen.append(len(asyncio.all_tasks()))
        return await original(series, range)

    backend.fetch = counting  # type: ignore[method-assign]
    outcome = await fetch_all([backend], SERIES, RANGE, data_limit=None, parallelism=8)
    assert (len(outcome.rows), outcome.read) == (20, 200)
    assert max(seen) <= before + 1  # the one task of the backend's span, none per fetch


async def test_a_backend_that_waits_has_up_to_parallelism_fetches_in_flight() -> None:
    backend = await _filled(_Recording(waits=True))
    outcome = await fetch_all([backend], SERIES, RANGE, data_limit=None, parallelism=8)
    assert (len(outcome.rows), backend.most) == (20, 8)


async def test_in_process_fetches_give_the_event_loop_back_between_slices(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fetch_module, "IN_PROCESS_SLICE", 0.0)  # a slice per fetch
    backend = await _filled(_Recording(waits=False))
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(ticking())
    await asyncio.sleep(0)
    await fetch_all([backend], SERIES, RANGE, data_limit=None, parallelism=8)
    ticker.cancel()
    assert ticks >= len(SERIES)


async def test_in_process_fetches_keep_the_read_quota() -> None:
    backend = await _filled(_Recording(waits=False))
    outcome = await fetch_all([backend], SERIES, RANGE, data_limit=55, parallelism=8)
    assert outcome.quota_violated
    assert (len(outcome.rows), outcome.read, outcome.failed, outcome.cancelled) == (5, 60, 1, 14)
