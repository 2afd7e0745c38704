"""``BatchWriter``: the configured writes of one batch of samples, retried until they succeed.

Samples are grouped per series, so a batch costs one metric write per series and metric
backend and one metadata/suggest write per series and backend (over the series' time span in
the batch). The write functions are any subset of metrics, metadata and suggest
(``ingestion.update*``); ``ingestion.filter`` drops series that do not match. A failed backend
write is retried alone, with exponential backoff, until it succeeds or the task is cancelled
(shutdown): nothing is acknowledged here, the pipeline commits only after ``write`` returns.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from heroic_consumer.decode import Decoded, Sample
from heroic_consumer.stats import ConsumerStats
from heroic_core.backends.group import Backends
from heroic_core.filters import TRUE, Filter
from heroic_core.model import DateRange, Points, Series

log = logging.getLogger(__name__)

FUNCTIONS = ("metrics", "metadata", "suggest")
T = TypeVar("T")


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
class _Series:
    series: Series
    first: int
    last: int
    points: list[tuple[int, float]]


_Op = tuple[str, str, Callable[[], Awaitable[None]], int]


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
        backoff: Backoff | None = None,
    ) -> None:
        self.functions = functions
        self.stats = stats
        self.filter = filter
        self.backoff = backoff or Backoff()
        self.metrics = backends.metrics.use(None) if functions.metrics else ()
        self.metadata = backends.metadata.use(None) if functions.metadata else ()
        self.suggest = backends.suggest.use(None) if functions.suggest else ()
        self._slots = asyncio.Semaphore(max_concurrent_writes)
        self._failing: set[str] = set()

    def backend_count(self) -> int:
        """How many backends this writer writes to (zero means the node has nothing to do)."""
        return len(self.metrics) + len(self.metadata) + len(self.suggest)

    @property
    def healthy(self) -> bool:
        """False while some backend write is being retried."""
        return not self._failing

    def _group(self, samples: Sequence[Decoded]) -> list[_Series]:
        grouped: dict[Series, _Series] = {}
        for sample in samples:
            entry = grouped.get(sample.series)
            if entry is None:
                if self.filter is not TRUE and not self.filter.matches(sample.series):
                    self.stats.filtered.inc()
                    continue
                entry = grouped[sample.series] = _Series(
                    sample.series, sample.timestamp, sample.timestamp, []
                )
            entry.first = min(entry.first, sample.timestamp)
            entry.last = max(entry.last, sample.timestamp)
            if isinstance(sample, Sample):
                entry.points.append((sample.timestamp, sample.value))
        return list(grouped.values())

    def _ops(self, groups: list[_Series]) -> list[_Op]:
        ops: list[_Op] = []
        for group in groups:
            series = group.series
            if self.metrics and group.points:
                points = Points.of(group.points)
                ops += [(b.id, "metrics", _bind(b.write, series, points), len(points))
                        for b in self.metrics]  # fmt: skip
            range_ = DateRange(group.first, group.last)
            ops += [(b.id, "metadata", _bind(b.write, series, range_), 0) for b in self.metadata]
            ops += [(b.id, "suggest", _bind(b.write, series, range_), 0) for b in self.suggest]
        return ops

    async def write(self, samples: Sequence[Decoded]) -> None:
        """Perform every configured write of ``samples``; returns once all succeeded."""
        ops = self._ops(self._group(samples))
        attempt = 0
        while ops:
            results = await asyncio.gather(*(self._run(op) for op in ops))
            ops = [op for op, ok in zip(ops, results, strict=True) if not ok]
            if ops:
                delay = self.backoff.delay(attempt)
                attempt += 1
                log.warning(
                    "Backend writes failed; retrying",
                    extra={"failed": len(ops), "retry_in_s": round(delay, 2), "attempt": attempt},
                )
                await asyncio.sleep(delay)

    async def _run(self, op: _Op) -> bool:
        backend, function, call, points = op
        async with self._slots:
            try:
                await call()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any backend failure is retried
                self._mark_failing(backend, function, exc)
                return False
        self._mark_ok(backend)
        self.stats.written.labels(backend, function).inc()
        if points:
            self.stats.points_written.labels(backend).inc(points)
        return True

    def _mark_failing(self, backend: str, function: str, exc: Exception) -> None:
        self.stats.errors.labels(backend, function).inc()
        if backend not in self._failing:
            log.error(
                "Write to backend %s failed: %s",
                backend,
                exc,
                extra={"backend": backend, "function": function, "error": type(exc).__name__},
            )
            self._failing.add(backend)
            self.stats.backend_down.labels(backend).set(1)

    def _mark_ok(self, backend: str) -> None:
        if backend in self._failing:
            self._failing.discard(backend)
            self.stats.backend_down.labels(backend).set(0)
            log.info("Writes to backend %s succeed again", backend, extra={"backend": backend})


def _bind(
    fn: Callable[[Series, T], Awaitable[None]], series: Series, arg: T
) -> Callable[[], Awaitable[None]]:
    return lambda: fn(series, arg)
