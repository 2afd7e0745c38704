"""``heroic configure``'s work for the storage backends, and the runner of every target's jobs.

``backend_jobs`` creates what the configuration's backends need (Bigtable tables, the Cassandra
keyspace and table, Elasticsearch index templates); the consumers' topics and subscriptions are
the consumer's (``heroic_consumer.provision``), and ``heroic configure`` runs both through
``run_jobs``. Nothing that exists is ever dropped, truncated or altered. Failures are the
backends' ``BackendUnavailableError`` (retry later) or ``BackendRejectedError`` (fix the
configuration or permissions). Client libraries are imported only when used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field

from heroic_core.backends.errors import BackendRejectedError, BackendUnavailableError
from heroic_core.backends.results import ConfigureResult
from heroic_core.config import (
    BigtableMetricConfig,
    DatastaxMetricConfig,
    ElasticsearchMetadataConfig,
    ElasticsearchSuggestConfig,
    HeroicConfig,
)

#: The backend targets ``--only`` can select, in the order configure visits them.
BACKEND_TARGETS = ("bigtable", "cassandra", "elasticsearch")
DEFAULT_TIMEOUT = 30.0
_GRACE = 5.0


@dataclass(frozen=True, slots=True)
class Step:
    """What one backend (or consumer) needed: ``created`` now, ``existing`` before."""

    target: str
    name: str
    result: ConfigureResult


@dataclass(slots=True)
class ConfigureReport:
    steps: list[Step] = field(default_factory=list)

    @property
    def created(self) -> list[str]:
        return [c for s in self.steps for c in s.result.created]

    @property
    def existing(self) -> list[str]:
        return [e for s in self.steps for e in s.result.existing]

    @property
    def nothing_to_do(self) -> bool:
        return not self.created


#: One thing to create: ``(target, name, run)``; ``run`` reports what it created.
Job = tuple[str, str, Callable[[], Awaitable[ConfigureResult]]]


def select_targets(only: Collection[str] | None, known: Collection[str]) -> set[str]:
    """The targets ``only`` names (default: every ``known`` one); an unknown one is rejected."""
    selected = set(known if only is None else only)
    unknown = selected - set(known)
    if unknown:
        raise BackendRejectedError(f"unknown configure target(s): {', '.join(sorted(unknown))}")
    return selected


async def run_jobs(
    jobs: Iterable[Job], timeout: float, on_step: Callable[[Step], None] | None = None
) -> ConfigureReport:
    """Run ``jobs`` one after the other, each within ``timeout`` (plus a grace period).

    Stops at the first failure with ``BackendUnavailableError`` (retry later) or
    ``BackendRejectedError`` (fix the configuration or permissions).
    """
    report = ConfigureReport()
    for target, name, job in jobs:
        try:
            # The clients time out on their own (with a better reason); this is the backstop.
            result = await asyncio.wait_for(job(), timeout + _GRACE)
        except TimeoutError as exc:
            raise BackendUnavailableError(
                f"{target} {name}: no answer within {timeout + _GRACE:g}s"
            ) from exc
        step = Step(target, name, result)
        report.steps.append(step)
        if on_step is not None:
            on_step(step)
    return report


def backend_jobs(config: HeroicConfig, selected: Collection[str], timeout: float) -> Iterator[Job]:
    """The jobs of the ``selected`` backend targets, in configuration order."""
    for metric in config.metrics.backends:
        if metric.type == "bigtable" and "bigtable" in selected:
            yield "bigtable", metric.id or metric.table, _bigtable(metric, timeout)
        elif metric.type == "datastax" and "cassandra" in selected:
            yield "cassandra", metric.id or metric.schema_.keyspace, _cassandra(metric)
    if "elasticsearch" in selected:
        for section in (config.metadata.backends, config.suggest.backends):
            for index, backend in enumerate(section):
                if isinstance(backend, _ES_CONFIGS):
                    name = backend.id or f"{backend.effective_template_name()}#{index}"
                    yield "elasticsearch", name, _elasticsearch(backend)


_ES_CONFIGS = (ElasticsearchMetadataConfig, ElasticsearchSuggestConfig)


def _bigtable(
    cfg: BigtableMetricConfig, timeout: float
) -> Callable[[], Awaitable[ConfigureResult]]:
    async def run() -> ConfigureResult:
        from heroic_core.backends.bigtable.backend import BigtableMetricBackend  # noqa: PLC0415

        backend = BigtableMetricBackend(cfg)
        try:
            return await backend.configure(timeout)
        finally:
            await backend.close()

    return run


def _cassandra(cfg: DatastaxMetricConfig) -> Callable[[], Awaitable[ConfigureResult]]:
    async def run() -> ConfigureResult:
        from heroic_core.backends.cassandra.backend import CassandraMetricBackend  # noqa: PLC0415

        backend = CassandraMetricBackend(cfg)
        try:
            return await backend.configure()
        finally:
            await backend.close()

    return run


def _elasticsearch(
    cfg: ElasticsearchMetadataConfig | ElasticsearchSuggestConfig,
) -> Callable[[], Awaitable[ConfigureResult]]:
    async def run() -> ConfigureResult:
        # Lazy: only configurations with Elasticsearch need the client library.
        from heroic_core.backends.elasticsearch.metadata import (  # noqa: PLC0415
            ElasticsearchMetadataBackend,
        )
        from heroic_core.backends.elasticsearch.suggest import (  # noqa: PLC0415
            ElasticsearchSuggestBackend,
        )

        backend: ElasticsearchMetadataBackend | ElasticsearchSuggestBackend
        if isinstance(cfg, ElasticsearchMetadataConfig):
            backend = ElasticsearchMetadataBackend(cfg)
        else:
            backend = ElasticsearchSuggestBackend(cfg)
        try:
            return await backend.configure()
        finally:
            await backend.close()

    return run
