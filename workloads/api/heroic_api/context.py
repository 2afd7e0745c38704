"""The per-application state kept on ``app.state.heroic``: settings, backends, clock, stopping.

Created by ``main.create_app`` and filled by its lifespan; read by ``dependencies``. Holds
references only: no request handling and no backend calls here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from heroic_api.cluster.federation import Federation
from heroic_api.metrics import RequestMetrics
from heroic_api.services.admission import QueryAdmission
from heroic_api.services.cache import QueryCache, build_query_cache
from heroic_api.services.query_log import QueryLog, build_query_log
from heroic_api.services.readiness import ReadinessMonitor
from heroic_api.services.status import ConsumerStatusSource
from heroic_api.settings import ApiSettings
from heroic_api.tracing.setup import Tracing
from heroic_api.tuning import release_memory_soon
from heroic_core.backends.group import Backends
from heroic_core.filters import TRUE, Filter
from heroic_core.hql import parse_filter

Clock = Callable[[], int]


def system_clock() -> int:
    """Milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


@dataclass
class ApiContext:
    """Mutable application state; ``backends`` is ``None`` until the lifespan opened them."""

    settings: ApiSettings
    backends: Backends | None = None
    metrics: RequestMetrics = field(default_factory=RequestMetrics)
    clock: Clock = system_clock
    stopping: bool = False
    owns_backends: bool = False
    consumer_status: ConsumerStatusSource | None = None
    tracing: Tracing = field(default_factory=Tracing.off)
    #: Backend readiness as the probes see it, checked in the background.
    readiness: ReadinessMonitor = field(default_factory=ReadinessMonitor)
    write_slots: asyncio.Semaphore = field(init=False)
    #: ``ingestion.filter`` parsed once; the shell's ``ingestion-filter`` replaces it.
    ingestion_filter: Filter = field(init=False)
    #: heroic.yml ``cache`` and ``queryLogging``, shared by every request's query engine.
    query_cache: QueryCache = field(init=False)
    query_log: QueryLog = field(init=False)
    #: The large-query slots of this process (``concurrentQueriesBackoff``).
    admission: QueryAdmission = field(init=False)
    #: The node-protocol token (``None``: the node protocol is off) and, with
    #: ``cluster.discovery``, the federation this node fans queries out to.
    node_token: str | None = None
    federation: Federation | None = None

    def __post_init__(self) -> None:
        self.query_cache = build_query_cache(self.settings.cache, self.metrics.registry)
        self.query_log = build_query_log(self.settings.query_logging)
        self.write_slots = asyncio.Semaphore(self.settings.ingestion.max_concurrent_writes)
        text = self.settings.ingestion.filter
        self.ingestion_filter = parse_filter(text) if text else TRUE
        self.admission = QueryAdmission(
            self.settings.admission, self.metrics.registry, on_release=release_memory_soon
        )

    def is_stopping(self) -> bool:
        return self.stopping
