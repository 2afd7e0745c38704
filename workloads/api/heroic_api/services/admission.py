"""Admission of large queries: ``metrics.concurrentQueriesBackoff`` and ``smallQueryThreshold``.

A query is *small* while the points it reads, projected over all its fetches from the first
ones (``fetch.fetch_all``), stay within ``smallQueryThreshold`` (upstream's measure of a small
query: its pre-aggregation sample size); small queries never wait. A query projected to read
more is *large* and must hold one of ``concurrentQueriesBackoff`` slots before it fetches any
further, and until it has been aggregated. It waits for a slot up to ``wait``; then it is
refused with ``TooManyQueriesError`` (503 with ``Retry-After``). The projection comes from the
query's own data, so no guess about the density of series is needed.

Upstream refuses at once (its ``GoAwayException`` lets the frontend try another node); a node
of ours has no peer to try, so a short wait serves the client better. Gauges of running and
queued large queries and a counter of refused ones go to the application's registry. This
module must not know about HTTP beyond the error type it raises.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from prometheus_client import CollectorRegistry, Counter, Gauge

from heroic_api.errors import TooManyQueriesError

#: Large queries at once in one process when ``concurrentQueriesBackoff`` is absent (upstream:
#: unlimited). A process computes on one core (``offload``): one query computing while the next
#: one fetches keeps it busy; more at once only add memory, each holding its points.
DEFAULT_LARGE_QUERIES = 2
#: How long a large query waits for a slot before it is refused (``concurrentQueriesWait``).
DEFAULT_WAIT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class AdmissionSettings:
    """``concurrentQueriesBackoff`` (``None``: the default), ``smallQueryThreshold`` (points)
    and ``concurrentQueriesWait`` (seconds)."""

    limit: int | None = None
    small_threshold: int = 200_000
    wait: float = DEFAULT_WAIT_SECONDS

    @property
    def slots(self) -> int:
        return DEFAULT_LARGE_QUERIES if self.limit is None else self.limit


class AdmissionMetrics:
    """``heroic_query_large_running``, ``heroic_query_large_queued``, ``heroic_query_rejected``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.running = Gauge(
            "heroic_query_large_running",
            "Large queries (more points read than smallQueryThreshold) holding a slot.",
            registry=registry,
        )
        self.queued = Gauge(
            "heroic_query_large_queued",
            "Large queries waiting for a slot (concurrentQueriesBackoff).",
            registry=registry,
        )
        self.rejected = Counter(
            "heroic_query_rejected",
            "Large queries refused with 503 after waiting concurrentQueriesWait for a slot.",
            registry=registry,
        )


class QueryAdmission:
    """The slots of one process; hand each query a :class:`Ticket`. ``on_release`` is called
    whenever a large query has ended (the process may give its memory back)."""

    def __init__(
        self,
        settings: AdmissionSettings,
        registry: CollectorRegistry,
        on_release: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = AdmissionMetrics(registry)
        self.on_release = on_release
        self._slots = asyncio.Semaphore(settings.slots)

    def ticket(self) -> Ticket:
        """A new query's ticket; use it as ``async with`` so a held slot is always returned."""
        return Ticket(self)

    async def acquire(self) -> None:
        """One slot, waiting up to ``wait`` seconds; ``TooManyQueriesError`` after that."""
        self.metrics.queued.inc()
        try:
            async with asyncio.timeout(self.settings.wait):
                await self._slots.acquire()
        except TimeoutError:
            self.metrics.rejected.inc()
            raise TooManyQueriesError(
                "Node has reached maximum number of concurrent large queries "
                f"({self.settings.slots}); waited {self.settings.wait:g} s",
                retry_after=max(1, math.ceil(self.settings.wait)),
            ) from None
        finally:
            self.metrics.queued.dec()
        self.metrics.running.inc()

    def release(self) -> None:
        self.metrics.running.dec()
        self._slots.release()
        if self.on_release is not None:
            self.on_release()


class Ticket:
    """One query's standing (a ``fetch.Gate``): small until it has read more than the
    threshold, then large, waiting for a slot once and holding it until the query ends."""

    def __init__(self, admission: QueryAdmission) -> None:
        self._admission = admission
        self._held = False
        self._refused: TooManyQueriesError | None = None
        # One wait per query: each metric backend's fetch task may ask at once.
        self._waiting = asyncio.Lock()

    @property
    def held(self) -> bool:
        return self._held

    def must_wait(self, points: int) -> bool:
        """Whether a query of ``points`` must hold a slot before going on."""
        return not self._held and points > self._admission.settings.small_threshold

    async def wait(self) -> bool:
        """Wait for a slot: ``True`` once held, ``False`` when refused (:meth:`check` raises)."""
        async with self._waiting:
            if not self._held and self._refused is None:
                try:
                    await self._admission.acquire()
                    self._held = True
                except TooManyQueriesError as exc:
                    self._refused = exc
        return self._held

    def check(self) -> None:
        """Raise the refusal, if the query was refused."""
        if self._refused is not None:
            raise self._refused

    async def __aenter__(self) -> Ticket:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._held:
            self._held = False
            self._admission.release()
