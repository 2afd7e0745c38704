"""Series lookup and data fetching for a query (reference 3 steps 7-9).

``find_series`` asks every metadata backend of the group and merges (sorted union, limited if
any backend was or the union exceeds the limit). ``fetch_all`` reads every series from every
metric backend (points, or distribution points from the backends that store them) with at
most ``parallelism`` fetches in flight (one after another in one task for a backend that reads
in process: ``InProcessReads``) and upstream's read quota: once
the points read reach ``data_limit`` the fetch in progress counts as failed and the fetches not
yet started as cancelled. Each metric backend's share of the fetch is a span of its own.

With a ``Gate`` (the large-query admission), the first fetch runs alone, and the points read so
far, scaled to every fetch, project the size of the query; no fetch starts while the gate says
a query of that size must wait: the fetches in flight finish, the query waits (without a task
per fetch), then goes on or, when refused, counts the rest as cancelled. No aggregation and no
response shaping here.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from heroic_api.errors import BackendCallError
from heroic_api.tracing.spans import Attributes, child_span
from heroic_core.backends.base import (
    DistributionStore,
    FindSeries,
    MetadataBackend,
    MetricBackend,
)
from heroic_core.errors import HeroicError
from heroic_core.filters import Filter
from heroic_core.model import DateRange, Distributions, MetricType, Points, Series

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SeriesLookup:
    """Series matching a query's filter, and whether the series limit cut them."""

    series: tuple[Series, ...]
    limited: bool


async def find_series(
    backends: Sequence[MetadataBackend], filter: Filter, range: DateRange, limit: int | None
) -> SeriesLookup:
    """Union of ``find_series`` over ``backends``, sorted and truncated to ``limit``."""

    async def one(backend: MetadataBackend) -> FindSeries:
        try:
            return await backend.find_series(filter, range, limit)
        except HeroicError:
            raise
        except Exception as exc:
            raise BackendCallError.wrap(f"backend {backend.id} failed", exc) from exc

    attributes = {"heroic.metadata.backends": [b.id for b in backends]}
    with child_span("localMetricsManager.findSeries", attributes=attributes) as span:
        results = await _each(one, backends)
        ordered = _sorted_union([result.series for result in results])
        limited = any(r.limited for r in results)
        if limit is not None and len(ordered) > limit:
            ordered, limited = ordered[:limit], True
        span.set_attributes({"heroic.series": len(ordered), "heroic.limited": limited})
    return SeriesLookup(tuple(ordered), limited)


def _sorted_union(found: list[Sequence[Series]]) -> list[Series]:
    """The distinct series found, in series order; one backend's answer as it is when it is
    in that order already (the memory backend's): hashing and sorting call Python per series."""
    if len(found) == 1:
        keys = [s.sort_key() for s in found[0]]
        if all(a < b for a, b in itertools.pairwise(keys)):  # hence no duplicates
            return list(found[0])
    merged: set[Series] = set()
    for series in found:
        merged.update(series)
    return sorted(merged, key=Series.sort_key)


@dataclass(slots=True)
class FetchOutcome:
    """Fetched rows plus upstream's fetch accounting."""

    rows: list[tuple[Series, Points | Distributions]] = field(default_factory=list)
    read: int = 0
    failed: int = 0
    cancelled: int = 0
    quota_violated: bool = False
    causes: list[BaseException] = field(default_factory=list)

    def issues(self) -> str | None:
        """Upstream's ``checkIssues`` message, or ``None`` when every fetch succeeded."""
        if self.failed or self.cancelled:
            return f"Some fetches failed ({self.failed}) or were cancelled ({self.cancelled})"
        return None


Pair = tuple[MetricBackend, Series]
B = TypeVar("B")
T = TypeVar("T")
#: How long fetches from process memory run before other requests get the event loop.
IN_PROCESS_SLICE = 0.002


class Gate(Protocol):
    """Admission of a query that turns out large (``services.admission``)."""

    def must_wait(self, points: int) -> bool:
        """With ``points`` projected for the whole query, whether no further fetch may start
        before :meth:`wait` admitted the query."""
        ...

    async def wait(self) -> bool:
        """Wait until admitted (``True``) or refused (``False``)."""
        ...


class _Fetcher:
    """``parallelism`` workers taking (backend, series) pairs from one queue."""

    def __init__(
        self,
        range: DateRange,
        data_limit: int | None,
        source: MetricType,
        gate: Gate | None,
        total: int,
    ) -> None:
        self.range = range
        self.source = source
        self.data_limit = data_limit
        self.gate = gate
        self.total = total
        self.finished = 0
        self.outcome = FetchOutcome()

    def projected(self) -> int:
        """The points the whole query will read: those read, scaled to every fetch."""
        read = self.outcome.read
        if self.finished == 0:
            return read
        return max(read, -(-read * self.total // self.finished))

    def must_wait(self) -> bool:
        return self.gate is not None and self.gate.must_wait(self.projected())

    def may_start(self) -> bool:
        return not self.outcome.quota_violated and not self.must_wait()

    async def run(self, pending: deque[tuple[MetricBackend, Series]], parallelism: int) -> None:
        """Fetch until the queue is empty or no fetch may start."""
        workers = min(max(parallelism, 1), len(pending))
        await asyncio.gather(*(self.work(pending) for _ in range(workers)))

    async def work(self, pending: deque[tuple[MetricBackend, Series]]) -> None:
        while pending and self.may_start():
            backend, series = pending.popleft()
            await self.fetch(backend, series)
            # A backend that answered without suspending: let other requests in between.
            await asyncio.sleep(0)

    async def work_in_process(self, pending: deque[tuple[MetricBackend, Series]]) -> None:
        """For a backend whose fetches never wait: one after another, in this task, letting
        other requests in every ``IN_PROCESS_SLICE`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + IN_PROCESS_SLICE
        outcome, gate = self.outcome, self.gate
        # ``may_start`` inline: without a gate, only the quota can stop the next fetch.
        while pending and not outcome.quota_violated and (gate is None or not self.must_wait()):
            backend, series = pending.popleft()
            await self.fetch(backend, series)
            if loop.time() >= deadline:
                await asyncio.sleep(0)
                deadline = loop.time() + IN_PROCESS_SLICE

    async def fetch(self, backend: MetricBackend, series: Series) -> None:
        try:
            if self.source is not MetricType.DISTRIBUTION_POINTS:  # one coroutine less
                points: Points | Distributions = await backend.fetch(series, self.range)
            else:
                points = await self._read_distributions(backend, series)
        except Exception as exc:  # noqa: BLE001 - reported as a failed fetch
            logger.warning("Fetch of %s from %s failed: %s", series, backend.id, exc)
            self.outcome.failed += 1
            self.outcome.causes.append(exc)
            return
        finally:
            self.finished += 1
        self._accept(series, points)

    async def _read_distributions(self, backend: MetricBackend, series: Series) -> Distributions:
        if not isinstance(backend, DistributionStore):
            raise HeroicError(f"backend {backend.id} does not store distribution points")
        return await backend.fetch_distributions(series, self.range)

    def _accept(self, series: Series, points: Points | Distributions) -> None:
        outcome = self.outcome
        if outcome.quota_violated:
            outcome.failed += 1
            return
        outcome.read += len(points)
        if self.data_limit is not None and outcome.read >= self.data_limit:
            outcome.quota_violated = True
            outcome.failed += 1
            return
        outcome.rows.append((series, points))


def _reads_in_process(backend: MetricBackend) -> bool:
    """``backend`` is an ``InProcessReads`` that reads in process; asked of the attribute, not
    with ``isinstance``: on Python 3.11 a runtime protocol check costs 10 µs."""
    reads: object = getattr(backend, "reads_in_process", False)
    return reads is True


async def _each(call: Callable[[B], Awaitable[T]], backends: Sequence[B]) -> list[T]:
    """``call`` for every backend at once: a task each, so that each span is a child of the
    caller's and not of its sibling's; one backend is awaited here (no task, no extra turn
    of the event loop)."""
    if len(backends) == 1:
        return [await call(backends[0])]
    return list(await asyncio.gather(*(call(b) for b in backends)))


async def fetch_all(
    backends: Sequence[MetricBackend],
    series: Sequence[Series],
    range: DateRange,
    *,
    data_limit: int | None,
    parallelism: int,
    source: MetricType = MetricType.POINTS,
    gate: Gate | None = None,
) -> FetchOutcome:
    """Fetch ``(range.start, range.end]`` of every series from every backend."""
    pairs = [(b, s) for s in series for b in backends]
    fetcher = _Fetcher(range, data_limit, source, gate, len(pairs))
    if gate is not None and pairs:
        # The first fetch alone: its points, times the fetches, tell how large the query is.
        await fetcher.fetch(*pairs.pop(0))

    async def from_backend(
        backend: MetricBackend, pending: deque[tuple[MetricBackend, Series]]
    ) -> None:
        attributes: Attributes = {"heroic.backend.id": backend.id, "heroic.series": len(series)}
        with child_span("localMetricsManager.fetch", key=backend.id, attributes=attributes):
            while pending and not fetcher.outcome.quota_violated:
                if fetcher.must_wait() and gate is not None and not await gate.wait():
                    break
                if _reads_in_process(backend):
                    await fetcher.work_in_process(pending)
                else:
                    await fetcher.run(pending, max(parallelism // max(len(backends), 1), 1))
            fetcher.outcome.cancelled += len(pending)

    queues = {b.id: deque(p for p in pairs if p[0] is b) for b in backends}
    await _each(lambda b: from_backend(b, queues[b.id]), backends)
    # Completion order is arbitrary; aggregation output must not depend on it.
    fetcher.outcome.rows.sort(key=lambda row: row[0].sort_key())
    return fetcher.outcome
