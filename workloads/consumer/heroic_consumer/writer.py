"""``BatchWriter``: the configured writes of one batch of samples, retried until they succeed.

The decoded ``Columns`` of a batch are grouped per series in one numpy sort (``SeriesBatch``),
so a batch costs one metric write per series and metric backend (one call for the whole batch
where the backend is a ``BatchMetricWriter``: memory) and one metadata/suggest write per series
and backend (over the series' time span in the batch), minus series indexed recently: a
series every index backend indexed is marked so on its ``SeriesEntry`` until the ttl (one
attribute read a series), the ``IndexCache`` answers for the rest. The write functions are any
subset of metrics, metadata and suggest (``ingestion.update*``); ``ingestion.filter`` drops
series that do not match. Per backend, a few worker coroutines share the batch's series (no
task per write); a backend that offers ``write_many`` (Bigtable; Elasticsearch metadata and
suggest; the memory ones) gets up to ``BULK_SERIES`` series per request instead of one request
per series. Distribution points go
to the metric backends that store them (``DistributionStore``: Bigtable, memory). A worker
stops at its first failure; the failed writes alone are retried with exponential backoff until
they succeed or the task is cancelled (shutdown). Nothing is acknowledged here: the pipeline
commits only after ``write`` returns.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from heroic_consumer.columns import Columns, Grouped, columns_of
from heroic_consumer.decode import Decoded
from heroic_consumer.indexcache import IndexCache
from heroic_consumer.series_cache import SeriesEntry
from heroic_consumer.stats import ConsumerStats
from heroic_core.backends.base import (
    BatchMetricWriter,
    BulkIndexWriter,
    BulkMetricWriter,
    DistributionStore,
)
from heroic_core.backends.group import Backends
from heroic_core.filters import TRUE, Filter
from heroic_core.model import DateRange, Series, SeriesBatch

log = logging.getLogger(__name__)

FUNCTIONS = ("metrics", "metadata", "suggest")
_ID = attrgetter("id")
_INDEXED_UNTIL = attrgetter("indexed_until")
#: Worker coroutines per backend and batch (each writes its share of the series in turn).
DEFAULT_CONCURRENCY = 16
#: Series per ``write_many`` request of a bulk-capable metric backend.
BULK_SERIES = 500


@dataclass(frozen=True, slots=True)
class Functions:
    """Which of the three writes this consumer performs."""

    metrics: bool = True
    metadata: bool = True
    suggest: bool = True

    @classmethod
    def parse(cls, text: str) -> Functions:
        """``"metrics,suggest"`` -> Functions; ``ValueError`` names an unknown entry."""
        names = {n.strip() for n in text.split(",") if n.strip()}
        unknown = names - set(FUNCTIONS)
        if unknown or not names:
            raise ValueError(f"write functions must be a subset of {', '.join(FUNCTIONS)}")
        return cls(*(n in names for n in FUNCTIONS))

    def names(self) -> list[str]:
        return [n for n in FUNCTIONS if getattr(self, n)]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Retry delays: ``initial`` doubling up to ``maximum``, with 20 % jitter."""

    initial: float = 0.5
    maximum: float = 30.0

    def delay(self, attempt: int) -> float:
        base: float = min(self.maximum, self.initial * 2.0 ** min(attempt, 30))
        jitter: float = 0.8 + 0.4 * random.random()  # noqa: S311 - jitter, not crypto
        return base * jitter


@dataclass(slots=True)
class _Job:
    """The writes of one batch to one backend: ``(series, points or range)`` items."""

    backend: Any
    function: str
    items: list[tuple[Series, Any]]
    distributions: bool = False  # items carry Distributions for ``write_distributions``
    #: The whole batch, for a ``BatchMetricWriter`` (then ``items`` is empty).
    batch: SeriesBatch | None = None


@dataclass(frozen=True, slots=True)
class _Indexed:
    """Entries every index backend is writing in a batch, and until when they are fresh."""

    entries: list[SeriesEntry]
    until: float


class BatchWriter:
    """Writes batches of samples to the backends of the default group."""

    def __init__(
        self,
        backends: Backends,
        functions: Functions,
        stats: ConsumerStats,
        *,
        filter: Filter = TRUE,
        max_concurrent_writes: int = 50_000,
        concurrency: int = DEFAULT_CONCURRENCY,
        index_cache: IndexCache | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.functions = functions
        self.stats = stats
        self.filter = filter
        self.backoff = backoff or Backoff()
        self.concurrency = max(1, concurrency)
        self.index_cache = index_cache if index_cache is not None else IndexCache()
        self.metrics = backends.metrics.use(None) if functions.metrics else ()
        self.metadata = backends.metadata.use(None) if functions.metadata else ()
        self.suggest = backends.suggest.use(None) if functions.suggest else ()
        self.distribution_stores = tuple(
            b for b in self.metrics if isinstance(b, DistributionStore)
        )
        self._slots = asyncio.Semaphore(max_concurrent_writes)
        self._failing: set[str] = set()
        #: ``(backend id, function)`` of the writes being retried (ids repeat across kinds).
        self._failing_writes: set[tuple[str, str]] = set()

    def backend_count(self) -> int:
        """How many backends this writer writes to (zero means the node has nothing to do)."""
        return len(self.metrics) + len(self.metadata) + len(self.suggest)

    @property
    def healthy(self) -> bool:
        """False while some backend write is being retried."""
        return not self._failing

    def is_failing(self, backend_id: str, function: str) -> bool:
        """True while ``function`` writes (metrics, metadata, suggest) to backend
        ``backend_id`` are being retried."""
        return (backend_id, function) in self._failing_writes

    @property
    def accepts_distributions(self) -> bool:
        """False when distribution points have nowhere to go (metric backends that store
        none of them): the pipeline rejects such messages instead of dropping their points."""
        return not self.metrics or bool(self.distribution_stores)

    def _jobs(self, grouped: Grouped) -> tuple[list[_Job], _Indexed | None]:
        """The writes of ``grouped``, and the entries to mark as indexed once all succeed."""
        jobs: list[_Job] = []
        batch = grouped.batch
        if self.metrics and len(batch):
            points: list[tuple[Series, Any]] | None = None
            for metric_backend in self.metrics:
                # write_many first: a backend with both chunks its requests itself.
                if isinstance(metric_backend, BatchMetricWriter) and not isinstance(
                    metric_backend, BulkMetricWriter
                ):
                    jobs.append(_Job(metric_backend, "metrics", [], batch=batch))
                    continue
                points = batch.items() if points is None else points
                jobs.append(_Job(metric_backend, "metrics", points))
        if self.metrics and grouped.distributions:
            sketches: list[tuple[Series, Any]] = list(grouped.distributions)
            jobs += [_Job(b, "metrics", sketches, True) for b in self.distribution_stores]
        if not (self.metadata or self.suggest):
            return jobs, None
        return jobs, self._index_jobs(grouped, jobs)

    def _index_jobs(self, grouped: Grouped, jobs: list[_Job]) -> _Indexed | None:
        """Appends the metadata and suggest writes of ``grouped`` to ``jobs``: the series that
        are neither marked as indexed on their entry nor fresh in the ``IndexCache``."""
        series: Sequence[Series]
        spans: tuple[list[int], list[int]] | None
        entries: list[SeriesEntry] | None = grouped.entries
        if grouped.distributions:  # its series are more than the batch's: no entries
            series, first, last = grouped.spans()
            spans, entries = (first, last), None
        else:  # the spans only once a series is to be indexed: in steady state, none
            series, spans = grouped.batch.series, None
        now = self.index_cache.now()
        ttl = self.index_cache.ttl
        #: Positions in ``series`` of the series to look up in the IndexCache (None: all).
        open_: list[int] | None = None
        if entries and ttl > 0:
            until = list(map(_INDEXED_UNTIL, entries))
            if min(until) > now:  # the steady state: one attribute read a series
                return None
            open_ = [i for i, at in enumerate(until) if at <= now]
        checked = series if open_ is None else list(map(series.__getitem__, open_))
        ids = list(map(_ID, checked))
        # Backends usually need the same series (all new ones): their items are made once.
        made: tuple[list[int], list[tuple[Series, Any]]] = ([], [])
        common: list[int] | None = None  # what every index backend writes (positions in ids)
        for number, backend in enumerate((*self.metadata, *self.suggest)):
            function = "metadata" if number < len(self.metadata) else "suggest"
            # DateRange only for what gets written: in steady state, nothing.
            stale = self.index_cache.stale(backend.id, ids, now)
            common = stale if number == 0 or stale == common else None
            if stale:
                if stale != made[0]:
                    first, last = spans = grouped.batch.spans() if spans is None else spans
                    at = stale if open_ is None else list(map(open_.__getitem__, stale))
                    picked = map(series.__getitem__, at)
                    ranges = map(DateRange, map(first.__getitem__, at),
                                 map(last.__getitem__, at))  # fmt: skip
                    made = (stale, list(zip(picked, ranges, strict=True)))
                jobs.append(_Job(backend, function, made[1]))
        if not (entries and ttl > 0 and common):
            return None
        at = common if open_ is None else list(map(open_.__getitem__, common))
        return _Indexed(list(map(entries.__getitem__, at)), now + ttl)

    async def write(self, samples: Sequence[Decoded]) -> None:
        """Perform every configured write of ``samples``; returns once all succeeded."""
        await self.write_columns(
            columns_of((sample.series, sample.timestamp, sample.value) for sample in samples)
        )

    async def write_columns(self, columns: Columns) -> None:
        """Perform every configured write of the decoded ``columns``; returns once all
        succeeded."""
        grouped = columns.group(None if self.filter is TRUE else self.filter.matches)
        if grouped.filtered:
            self.stats.filtered.inc(len(grouped.filtered))
        jobs, indexed = self._jobs(grouped)
        attempt = 0
        while jobs:
            results = await asyncio.gather(*(self._run_job(job) for job in jobs))
            jobs = [job for job in results if job is not None]
            if jobs:
                delay = self.backoff.delay(attempt)
                attempt += 1
                failed = sum(len(job.items) or _series_count(job) for job in jobs)
                log.warning(
                    "Backend writes failed; retrying",
                    extra={"failed": failed, "retry_in_s": round(delay, 2), "attempt": attempt},
                )
                await asyncio.sleep(delay)
        if indexed is not None:  # every write succeeded
            for entry in indexed.entries:
                entry.indexed_until = indexed.until

    async def _run_job(self, job: _Job) -> _Job | None:
        """Write the job's items; returns a job of the items that failed, or None."""
        if job.batch is not None:
            return await self._run_batch_job(job, job.batch)
        if job.function == "metrics":
            bulk = not job.distributions and isinstance(job.backend, BulkMetricWriter)
        else:
            bulk = isinstance(job.backend, BulkIndexWriter)
        chunk = BULK_SERIES if bulk else 1
        write_chunk = job.backend.write_many if bulk else _one_by_one(job)
        wanted = -(-len(job.items) // chunk)
        workers = min(self.concurrency, wanted)
        if workers <= 1:
            results = [await self._worker(write_chunk, job.items, chunk)]
        else:
            shares = [job.items[i::workers] for i in range(workers)]
            results = list(
                await asyncio.gather(*(self._worker(write_chunk, s, chunk) for s in shares))
            )
        failed = [item for _, _, rest in results for item in rest]
        written = [item for _, done, _ in results for item in done]
        self._account(job, written)
        error = next((exc for exc, _, _ in results if exc is not None), None)
        if error is None:
            self._mark_ok(job.backend.id, job.function)
            return None
        self._mark_failing(job.backend.id, job.function, error, len(failed))
        return _Job(job.backend, job.function, failed, job.distributions)

    async def _run_batch_job(self, job: _Job, batch: SeriesBatch) -> _Job | None:
        """One ``write_batch`` call; retried whole (re-written timestamps are overwritten)."""
        async with self._slots:
            try:
                await job.backend.write_batch(batch)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any backend failure is retried
                self._mark_failing(job.backend.id, job.function, exc, len(batch.series))
                return job
        bid = job.backend.id
        self.stats.written.labels(bid, job.function).inc(len(batch.series))
        self.stats.points_written.labels(bid).inc(len(batch))
        self._mark_ok(bid, job.function)
        return None

    async def _worker(
        self,
        write_chunk: Callable[[list[tuple[Series, Any]]], Awaitable[None]],
        items: list[tuple[Series, Any]],
        chunk: int,
    ) -> tuple[Exception | None, list[tuple[Series, Any]], list[tuple[Series, Any]]]:
        """Write ``items`` ``chunk`` at a time; on a failure, what was written and what not."""
        async with self._slots:
            for start in range(0, len(items), chunk):
                try:
                    await write_chunk(items[start : start + chunk])
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - any backend failure is retried
                    return exc, items[:start], items[start:]
        return None, items, []

    def _account(self, job: _Job, written: list[tuple[Series, Any]]) -> None:
        if not written:
            return
        bid = job.backend.id
        self.stats.written.labels(bid, job.function).inc(len(written))
        if job.function == "metrics":
            self.stats.points_written.labels(bid).inc(sum(len(p) for _, p in written))
        else:
            self.index_cache.remember(bid, [series.id for series, _ in written])

    def _mark_failing(self, backend: str, function: str, exc: Exception, failed: int) -> None:
        self.stats.errors.labels(backend, function).inc(failed)
        self._failing_writes.add((backend, function))
        if backend not in self._failing:
            log.error(
                "Write to backend %s failed: %s",
                backend,
                exc,
                extra={"backend": backend, "function": function, "error": type(exc).__name__},
            )
            self._failing.add(backend)
            self.stats.backend_down.labels(backend).set(1)

    def _mark_ok(self, backend: str, function: str) -> None:
        self._failing_writes.discard((backend, function))
        if backend in self._failing and not any(b == backend for b, _ in self._failing_writes):
            self._failing.discard(backend)
            self.stats.backend_down.labels(backend).set(0)
            log.info("Writes to backend %s succeed again", backend, extra={"backend": backend})


def _series_count(job: _Job) -> int:
    return len(job.batch.series) if job.batch is not None else 0


def _one_by_one(job: _Job) -> Callable[[list[tuple[Series, Any]]], Awaitable[None]]:
    """A chunk writer for backends that write one series per call."""
    write = job.backend.write_distributions if job.distributions else job.backend.write

    async def write_chunk(items: list[tuple[Series, Any]]) -> None:
        for series, arg in items:
            await write(series, arg)

    return write_chunk
