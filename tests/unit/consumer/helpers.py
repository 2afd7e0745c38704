"""Shared pieces of the consumer unit tests: message builders, a memory metric backend with
fault injection, and a harness that runs a pipeline as a task."""

from __future__ import annotations

import asyncio
import json
import struct
import time
from collections.abc import Callable
from typing import Any

import pytest

from heroic_consumer.batch_decode import DecodedBatch, batch_decoder_for
from heroic_consumer.decode import DecodeError, DistributionSample
from heroic_consumer.native_decode import AVAILABLE
from heroic_consumer.pipeline import Pipeline, PipelineSettings
from heroic_consumer.series_cache import SeriesCache
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


Triple = tuple[Series, int, float | bytes]


def agree(schema: str, reference: Any, payloads: list[bytes], cache_size: int, kind: str) -> None:
    """The batch decoder ``kind`` of ``schema`` means what ``reference`` (``decode.py``) says
    of ``payloads``: the same points (series, ids, times, value bits) in arrival order, then
    the same distribution points, and the same rejections with the same wording; with a cold
    series cache of ``cache_size`` identities and then a warm one."""
    decoder = batch_decoder_for(schema, SeriesCache(cache_size), kind=kind)
    assert decoder.kind == kind
    expected, rejected = _expected(reference, payloads)
    for _ in range(2):
        got = decoder.decode(payloads)
        assert [(i, why) for i, why, _ in got.rejected] == rejected
        triples = _triples(got)
        assert triples == expected
        assert [t[0].id for t in triples] == [t[0].id for t in expected]
        assert [_bits(t[2]) for t in triples] == [_bits(t[2]) for t in expected]
        assert len(got.columns) == len(expected)


def _triples(batch: DecodedBatch) -> list[Triple]:
    """Points then distribution points, each in arrival order."""
    c = batch.columns
    points = [(e.series, t, v) for e, t, v in c.points()]
    return [*points, *((e.series, t, p) for e, t, p in c.distributions)]


def _expected(reference: Any, payloads: list[bytes]) -> tuple[list[Triple], list[tuple[int, str]]]:
    points: list[Triple] = []
    distributions: list[Triple] = []
    rejected: list[tuple[int, str]] = []
    for i, payload in enumerate(payloads):
        try:
            samples = reference(payload)
        except DecodeError as exc:
            rejected.append((i, str(exc)))
            continue
        for s in samples:
            target = distributions if isinstance(s, DistributionSample) else points
            target.append((s.series, s.timestamp, s.value))
    return [*points, *distributions], rejected


def _bits(value: float | bytes) -> bytes:
    """A value as compared: a float's bits (the sign of zero counts), a payload as it is."""
    return value if isinstance(value, bytes) else struct.pack("<d", value)
