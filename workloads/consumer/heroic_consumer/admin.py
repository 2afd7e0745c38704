"""The consumer node under control of ``heroic shell``: ``ConsumerNodeControl`` (the node tasks'
view of a ``ConsumerNode``: its pipelines, the writer's ingestion filter, its counters) and
``start_consumer_admin`` (the admin endpoint of ``heroic consumer``, when heroic.yml has
``shellServer:``). Pausing goes through ``Pipeline.hold``; this module consumes nothing itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from heroic_consumer.pipeline import Pipeline
from heroic_core.admin.control import ConsumerControl, Counters, backend_key
from heroic_core.admin.counters import registry_counters
from heroic_core.admin.server import AdminServer, start_admin_server
from heroic_core.admin.tasks import NodeTaskError, NodeTaskRunner
from heroic_core.backends.group import Backends
from heroic_core.config import ConsumerConfig
from heroic_core.filters import Filter

if TYPE_CHECKING:  # the node starts its admin endpoint from here
    from heroic_consumer.node import ConsumerNode

PREFIX = "heroic_consumer_"
#: How long ``pause`` waits for a pipeline's loop to take the pause.
HOLD_TIMEOUT = 30.0
_INGESTION = {"samples_filtered", "in_flight_batches", "uncommitted_messages"}
_PER_WRITE = {"writes", "errors"}
_PER_BACKEND = {
    "metrics": {"points_written", "backend_failing"},
    "metadata": {"backend_failing"},
    "suggest": {"backend_failing"},
}


def _describe(config: ConsumerConfig) -> str:
    topics = getattr(config, "topics", None)
    if topics:
        return f"topics: {', '.join(topics)}"
    subscription = getattr(config, "subscription", None)
    return f"subscription: {subscription}" if subscription else config.type


class PipelineControl:
    """One consumer of the node: its pipelines (several for Pub/Sub's
    ``threadsPerSubscription``), paused and resumed together."""

    def __init__(self, pipelines: Sequence[Pipeline], number: int, config: ConsumerConfig) -> None:
        self.pipelines = list(pipelines)
        self._name = f"{self.pipelines[0].source.name} #{number} ({_describe(config)})"

    @property
    def name(self) -> str:
        return self._name

    @property
    def held(self) -> bool:
        return all(p.held for p in self.pipelines)

    async def pause(self) -> None:
        try:
            await asyncio.gather(*(p.hold(HOLD_TIMEOUT) for p in self.pipelines))
        except TimeoutError:
            raise NodeTaskError(
                f"{self.name} did not pause within {HOLD_TIMEOUT:.0f}s: its loop is not turning "
                "(see /healthz); it will pause at its next turn"
            ) from None

    async def resume(self) -> None:
        for pipeline in self.pipelines:
            pipeline.release()

    def counters(self) -> Counters:
        # The registry counts per source type: consumers of one type share these.
        first = self.pipelines[0]
        out = registry_counters(first.stats.registry, PREFIX, select={"source": first.source.name})
        out["uncommitted"] = float(sum(p.tracker.pending() for p in self.pipelines))
        return out


class ConsumerNodeControl:
    """A ``ConsumerNode`` as the node tasks see it."""

    def __init__(self, node: ConsumerNode) -> None:
        self.node = node
        consumers = node.options.config.consumers
        self._consumers = [
            PipelineControl(group, i + 1, c)
            for i, (group, c) in enumerate(zip(node.groups, consumers, strict=True))
        ]

    @property
    def backends(self) -> Backends | None:
        return self.node.backends

    def consumers(self) -> Sequence[ConsumerControl]:
        return self._consumers

    def ingestion_filter(self) -> Filter:
        return self.node.writer.filter

    def set_ingestion_filter(self, value: Filter) -> None:
        self.node.writer.filter = value

    def ingestion_counters(self) -> Counters:
        return registry_counters(self.node.stats.registry, PREFIX, names=_INGESTION)

    def backend_counters(self) -> Mapping[str, Counters]:
        registry, backends = self.node.stats.registry, self.node.backends
        out: dict[str, Counters] = {}
        for kind, group in (
            ("metrics", backends.metrics),
            ("metadata", backends.metadata),
            ("suggest", backends.suggest),
        ):
            for backend in group:
                # Writes and errors count per function; one backend id may serve several.
                select = {"backend": backend.id, "function": kind}
                counters = registry_counters(registry, PREFIX, select=select, names=_PER_WRITE)
                counters |= registry_counters(
                    registry, PREFIX, select={"backend": backend.id}, names=_PER_BACKEND[kind]
                )
                out[backend_key(kind, backend.id)] = counters
        return out

    def request_counters(self) -> Counters:
        return {}


async def start_consumer_admin(node: ConsumerNode) -> AdminServer | None:
    """The node tasks on ``shellServer`` (``None``, nothing bound, when it is absent)."""
    control = ConsumerNodeControl(node)
    return await start_admin_server(node.options.config.shell_server, NodeTaskRunner(control))
