"""The consumer node: build backends, sources and pipelines from the config, run them until a
signal, and serve probes, ``/status`` and metrics meanwhile.

``run_node(options)`` returns the process exit code: 0 when every consumed message was
committed, 1 when a source failed or messages were left uncommitted (they will be consumed
again), 2 for a configuration the node cannot run. SIGTERM/SIGINT start a graceful stop: no new
fetches, open batches finish (up to ``stopTimeout``), the final offsets are committed. With
``shellServer:`` in heroic.yml the node also serves its admin endpoint (``heroic shell
--connect``: pause, resume, ingestion-filter, statistics, refresh).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from heroic_consumer.admin import start_consumer_admin
from heroic_consumer.batch_decode import batch_decoder_for
from heroic_consumer.config_warnings import ineffective_settings
from heroic_consumer.health import Probes, start_health_server
from heroic_consumer.indexcache import DEFAULT_TTL, IndexCache
from heroic_consumer.pipeline import Pipeline, PipelineSettings
from heroic_consumer.series_cache import DEFAULT_SERIES_CACHE_SIZE, SeriesCache
from heroic_consumer.sources import build_sources
from heroic_consumer.sources.base import MessageSource
from heroic_consumer.stats import ConsumerStats
from heroic_consumer.status import StatusSources, compute_status, service_info
from heroic_consumer.writer import DEFAULT_CONCURRENCY, BatchWriter, Functions
from heroic_core.backends.group import Backends
from heroic_core.config import HeroicConfig
from heroic_core.errors import HeroicError
from heroic_core.filters import TRUE, Filter
from heroic_core.hql import parse_filter

log = logging.getLogger(__name__)

#: A consumption loop that has not turned for this long is reported dead on ``/healthz``.
LIVENESS_SECONDS = 120.0


class NodeConfigError(ValueError):
    """The configuration cannot run a consumer node; the message says why."""


@dataclass(frozen=True)
class NodeOptions:
    """Everything the node needs beyond heroic.yml (command-line overrides)."""

    config: HeroicConfig
    host: str = "0.0.0.0"  # noqa: S104 - probes come from the kubelet, not localhost
    port: int = 8080
    functions: Functions | None = None
    dead_letter_topic: str | None = None
    pipeline: PipelineSettings = field(default_factory=PipelineSettings)
    write_concurrency: int = DEFAULT_CONCURRENCY
    index_cache_seconds: float = DEFAULT_TTL
    #: Raw series identities each consumer remembers (``columns.SeriesCache``).
    series_cache_size: int = DEFAULT_SERIES_CACHE_SIZE


def functions_from(config: HeroicConfig) -> Functions:
    """The write functions ``ingestion.update*`` enables."""
    ingestion = config.ingestion
    return Functions(
        ingestion.update_metrics, ingestion.update_metadata, ingestion.update_suggestions
    )


def ingestion_filter(config: HeroicConfig) -> Filter:
    """``ingestion.filter`` parsed (HQL), or the filter matching everything."""
    text = config.ingestion.filter
    return parse_filter(text) if text else TRUE


class ConsumerNode:
    """The pipelines of one process, their writer and the probe state."""

    def __init__(self, options: NodeOptions, backends: Backends) -> None:
        config = options.config
        if not config.consumers:
            raise NodeConfigError("no consumers configured (heroic.yml 'consumers:')")
        self.options = options
        self.backends = backends
        self.stats = ConsumerStats()
        for path, why in ineffective_settings(config):
            log.warning("Setting %s %s", path, why, extra={"setting": path})
        self.writer = BatchWriter(
            backends,
            options.functions or functions_from(config),
            self.stats,
            filter=ingestion_filter(config),
            max_concurrent_writes=config.ingestion.max_concurrent_writes,
            concurrency=options.write_concurrency,
            index_cache=IndexCache(ttl=options.index_cache_seconds),
        )
        if self.writer.backend_count() == 0:
            raise NodeConfigError(
                "the enabled write functions "
                f"({', '.join(self.writer.functions.names()) or 'none'}) have no backends"
            )
        self.sources: list[MessageSource] = []
        self.pipelines: list[Pipeline] = []
        #: The pipelines of each ``consumers:`` entry, in config order (several for Pub/Sub's
        #: ``threadsPerSubscription``).
        self.groups: list[list[Pipeline]] = []
        for index, consumer in enumerate(config.consumers):
            try:
                sources = build_sources(consumer, options.dead_letter_topic)
                # One series cache per entry: its pipelines decode on this one thread in turn.
                cache = SeriesCache(options.series_cache_size)
                decoders = [
                    batch_decoder_for(
                        getattr(consumer, "schema_", ""),
                        cache,
                        distributions=self.writer.accepts_distributions,
                    )
                    for _ in sources
                ]
            except ValueError as exc:
                raise NodeConfigError(f"consumers[{index}]: {exc}") from None
            if decoders:  # an e2e test on a real pod reads which one runs
                kind = decoders[0].kind
                extra = {"consumer": index, "decoder": kind}
                log.info("Decoding with the %s batch decoder", kind, extra=extra)
            group = [
                Pipeline(source, decoder, self.writer, self.stats, options.pipeline)
                for source, decoder in zip(sources, decoders, strict=True)
            ]
            self.sources += sources
            self.pipelines += group
            self.groups.append(group)
        self.stop = asyncio.Event()

    def live(self) -> tuple[bool, str]:
        """The loops are turning (or not started yet)."""
        now = time.monotonic()
        stuck = [p.source.name for p in self.pipelines if now - p.heartbeat > LIVENESS_SECONDS]
        return (not stuck, f"stuck: {', '.join(stuck)}" if stuck else "ok")

    def ready(self) -> tuple[bool, str]:
        """Consuming, and the backends accept writes."""
        if self.stop.is_set():
            return False, "stopping"
        if not all(p.running for p in self.pipelines):
            return False, "starting"
        if not self.writer.healthy:
            return False, "backend writes failing; consumption paused"
        problems = [f"{p.source.name}: {m}" for p in self.pipelines if (m := p.source.problem())]
        if problems:
            return False, "; ".join(problems)
        return True, "ok"

    def status(self) -> dict[str, int | bool]:
        """Upstream's ``consumers`` object of ``/status``: ``available`` counts the configured
        consumers, ``ready`` those whose every pipeline runs without a client problem (a
        refused login) while the backends accept writes; a "thread" is a pipeline
        (``consumingThreads``: those whose loop runs); ``errors`` counts the failed backend
        writes so far; ok while every consumer is ready."""
        usable = self.writer.healthy and not self.stop.is_set()
        ready = sum(
            1
            for group in self.groups
            if usable and all(p.running and not p.source.problem() for p in group)
        )
        return {
            "ok": ready == len(self.groups),
            "available": len(self.groups),
            "ready": ready,
            "errors": self.stats.error_count(),
            "consumingThreads": sum(1 for p in self.pipelines if p.running),
            "totalThreads": len(self.pipelines),
        }

    async def full_status(self) -> tuple[int, dict[str, Any]]:
        """``/status``: upstream's body for this node (``status.compute_status``)."""
        writer = self.writer
        return await compute_status(
            StatusSources(
                service=service_info(self.options.config),
                consumers=self.status,
                backends={
                    "metrics": writer.metrics,
                    "metadata": writer.metadata,
                    "suggest": writer.suggest,
                },
                failing=writer.is_failing,
            )
        )

    async def configure_backends(self) -> None:
        """Configure (idempotently) the used backends whose config says ``configure: true``,
        before the first write, as upstream does at start."""
        config, backends = self.options.config, self.backends
        used = {id(b) for b in (*self.writer.metrics, *self.writer.metadata, *self.writer.suggest)}
        pairs = [
            *zip(config.metrics.backends, backends.metrics.members, strict=False),
            *zip(config.metadata.backends, backends.metadata.members, strict=False),
            *zip(config.suggest.backends, backends.suggest.members, strict=False),
        ]
        for backend_config, backend in pairs:
            if id(backend) in used and getattr(backend_config, "configure", False):
                try:
                    await backend.configure()
                except Exception as exc:  # noqa: BLE001 - writes will retry; log and go on
                    log.warning("Configuring backend %s failed: %s", backend.id, exc)

    async def run(self, *, handle_signals: bool = True) -> int:
        """Serve until a signal (or ``stop``) or a source failure; returns the exit code.
        ``handle_signals=False``: the process owns its signals (the shell's ``--server``)."""
        if handle_signals:
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self._on_signal, sig)
        probes = Probes(self.live, self.ready, self.stats.registry, self.full_status)
        server = await start_health_server(probes, self.options.host, self.options.port)
        try:
            await self.configure_backends()
            log.info("Startup finished, hello!", extra={"functions": self.writer.functions.names()})
            results = await asyncio.gather(*(self._run_one(p) for p in self.pipelines))
        finally:
            server.close()
            await self._close(self.sources)
        return 0 if all(results) else 1

    def _on_signal(self, sig: int) -> None:
        if not self.stop.is_set():
            log.info("Stopping on signal %s", signal.Signals(sig).name)
        self.stop.set()

    async def _run_one(self, pipeline: Pipeline) -> bool:
        try:
            return await pipeline.run(self.stop)
        except Exception as exc:
            log.exception("Consumer %s failed: %s", pipeline.source.name, exc)
            self.stop.set()
            return False

    async def _close(self, sources: Sequence[MessageSource]) -> None:
        for source in sources:
            try:
                await source.close()
            except Exception as exc:  # noqa: BLE001 - keep closing the rest
                log.warning("Closing %s failed: %s", source.name, exc)
        with contextlib.suppress(Exception):
            await self.backends.close()


#: Allocations between young-generation collections (CPython's default is 700).
GC_YOUNG_THRESHOLD = 50_000


def tune_garbage_collector() -> None:
    """A batch allocates tens of thousands of short-lived objects; at CPython's default the
    cyclic collector runs every 700 of them and costs the consumer about 14 % of its CPU, for
    garbage that reference counting frees anyway. Collect young objects less often, and leave
    everything alive at start-up (modules, config, clients) out of collections for good."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


async def run_node(options: NodeOptions) -> int:
    """Build the node from ``options`` and run it; returns the exit code."""
    from heroic_core.backends.factory import build_backends  # noqa: PLC0415 - heavy import

    try:
        backends = build_backends(options.config)
        node = ConsumerNode(options, backends)
        admin = await start_consumer_admin(node)
    except (NodeConfigError, HeroicError, ValueError) as exc:
        log.error("Cannot start the consumer: %s", exc)
        return 2
    tune_garbage_collector()
    try:
        return await node.run()
    finally:
        if admin is not None:
            await admin.close()
