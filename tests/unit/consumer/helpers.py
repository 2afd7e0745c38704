"""Shared pieces of the consumer unit tests: message builders, a memory metric backend with
fault injection, and a harness that runs a pipeline as a task."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from heroic_consumer.batch_decode import batch_decoder_for
from heroic_consumer.native_decode import AVAILABLE
from heroic_consumer.pipeline import Pipeline, PipelineSettings
from heroic_consumer.stats import ConsumerStats
from heroic_consumer.writer import Backoff, BatchWriter, Functions
from heroic_core.backends.errors import BackendUnavailableError
from heroic_core.backends.group import BackendGroup, Backends
from heroic_core.backends.memory import (
    MemoryMetadataBackend,
    MemoryMetricBackend,
    MemorySuggestBackend,
)
from heroic_core.filters import TRUE, Filter
from heroic_core.model import DateRange, Points, Series, SeriesBatch
from tests.unit.consumer.memsource import MemorySource

SPOTIFY100 = "com.spotify.heroic.consumer.schemas.Spotify100"
EVERYTHING = DateRange(0, 2**62)
#: The batch decoders, for ``pytest.mark.parametrize("kind", KINDS)``.
KINDS = [
    "python",
    pytest.param(
        "native",
        marks=pytest.mark.skipif(not AVAILABLE, reason="heroic_consumer._native is not built"),
    ),
]


def metric(key: str, time_ms: int, value: float, version: str = "1.1.0", **tags: str) -> bytes:
    """A ``Spotify100`` JSON message."""
    body: dict[str, Any] = {"version": version, "key": key, "time": time_ms, "value": value}
    body["attributes"] = tags
    return json.dumps(body).encode()


class FaultyMetricBackend(MemoryMetricBackend):
    """The memory metric backend, whose writes can be held at a gate or made to fail."""

    def __init__(self) -> None:
        super().__init__("faulty", ("faulty",))
        self.gate: asyncio.Event | None = None
        self.gated_keys: set[str] | None = None  # None: the gate holds every series
        self.failures = 0
        self.attempts = 0

    async def write(self, series: Series, points: Points) -> None:
        self.attempts += 1
        gated = self.gated_keys is None or series.key in self.gated_keys
        if self.gate is not None and gated:
            await self.gate.wait()
        if self.failures > 0:
            self.failures -= 1
            raise BackendUnavailableError("metric store unreachable")
        await super().write(series, points)

    async def write_batch(self, batch: SeriesBatch) -> None:
        """Series by series through ``write``, so the gate and failures apply per series (a
        failure fails the whole call, which the writer retries whole)."""
        for series, points in batch.items():
            await self.write(series, points)


class Harness:
    """A pipeline over a ``MemorySource`` and memory backends, run as a task."""

    def __init__(
        self,
        *,
        functions: Functions | None = None,
        filter: Filter = TRUE,
        settings: PipelineSettings | None = None,
        partitions: int = 1,
        schema: str = SPOTIFY100,
        metrics: Any = None,
    ) -> None:
        self.source = MemorySource(partitions=partitions)
        self.metrics = FaultyMetricBackend()
        self.metadata = MemoryMetadataBackend()
        self.suggest = MemorySuggestBackend()
        backends = Backends(
            metrics=BackendGroup.build([metrics or self.metrics]),
            metadata=BackendGroup.build([self.metadata]),
            suggest=BackendGroup.build([self.suggest]),
        )
        self.stats = ConsumerStats()
        self.writer = BatchWriter(
            backends, functions or Functions(), self.stats, filter=filter,
            backoff=Backoff(0.005, 0.02),
        )  # fmt: skip
        self.pipeline = Pipeline(
            self.source,
            batch_decoder_for(schema, distributions=self.writer.accepts_distributions),
            self.writer,
            self.stats,
            settings
            or PipelineSettings(
                batch_size=10, fetch_timeout=0.001, stop_timeout=1.0,
                dead_letter_backoff=Backoff(0.005, 0.02),
            ),
        )  # fmt: skip
        self.stop = asyncio.Event()
        self.task: asyncio.Task[bool] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self.pipeline.run(self.stop))

    async def finish(self) -> bool:
        """Signal stop and return what ``run`` returned."""
        self.stop.set()
        assert self.task is not None
        return await asyncio.wait_for(self.task, timeout=10)

    async def points(self, series: Series) -> list[tuple[int, float]]:
        fetched = await self.metrics.fetch(series, EVERYTHING)
        return [(p.timestamp, p.value) for p in fetched]

    async def indexed(self) -> list[Series]:
        return list((await self.metadata.find_series(TRUE, EVERYTHING)).series)

    def counter(self, name: str, **labels: str) -> float:
        value = self.stats.registry.get_sample_value(name, labels)
        return 0.0 if value is None else value


async def eventually(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Wait until ``predicate()`` holds (fails the test after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.002)
