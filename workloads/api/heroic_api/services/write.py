"""Local ingestion: ``POST /write`` and ``PUT /metadata/series`` (reference 2.8, 2.9).

A write passes the ingestion filter, then goes concurrently to every metric backend (points;
distribution points go to the metric backends that store them, and a group without one is a
400 instead of upstream's per-backend "Unsupported metric type"), metadata backend and suggest
backend of the group (series seen over ``[min ts, max ts]``), as enabled by
``ingestion.update*``; at most ``maxConcurrentWrites`` backend writes run at once. The response
lists the time of each backend write in ns. A failing backend write fails the request
(upstream fails the whole future; we name the backend in the message). The usual body takes a typed
fast path (``fastwrite``) that means the same. ``write_many`` writes many series the same way
(remote write), with one call per backend where the backend takes many series
(``bulkwrite``). This module must not import FastAPI.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from heroic_api.body import decode_json
from heroic_api.errors import BackendCallError
from heroic_api.fastwrite import fast_decode
from heroic_api.schemas import MetricCollectionBody, WriteBody, parse_model
from heroic_api.services.bulkwrite import Op, index_ops, metric_ops
from heroic_api.settings import IngestionSettings
from heroic_core.backends.base import (
    DistributionStore,
    MetadataBackend,
    MetricBackend,
    SuggestBackend,
)
from heroic_core.backends.group import Backends
from heroic_core.errors import HeroicError, JsonMappingError, RequestError, join_path
from heroic_core.filters import TRUE, Filter
from heroic_core.hql import parse_filter
from heroic_core.model import DateRange, Distributions, MetricType, Points, Series

EMPTY_WRITE: dict[str, Any] = {"errors": [], "times": []}
#: Timestamps are Java longs upstream and int64 in ``Points``.
MAX_TIMESTAMP = 2**63 - 1


def decode_series(obj: Any, path: str) -> Series:
    """A Series from JSON; ``None`` is the empty series (key ``""``) as upstream."""
    if obj is None:
        return Series("")
    try:
        return Series.from_json(obj)
    except TypeError as exc:
        raise JsonMappingError(str(exc), path) from None


def _timestamp(ts: Any, path: str) -> int:
    if isinstance(ts, bool) or not isinstance(ts, int | float) or not float(ts).is_integer():
        raise JsonMappingError(f"timestamp must be an integer, got {ts!r}", path)
    if ts < 0:
        raise JsonMappingError(f"timestamp must not be negative, got {ts}", path)
    if ts > MAX_TIMESTAMP:
        raise JsonMappingError(f"timestamp must be at most {MAX_TIMESTAMP}, got {ts}", path)
    return int(ts)


def _sample(item: Any, path: str) -> tuple[int, float]:
    if not isinstance(item, list | tuple) or len(item) != 2:
        raise JsonMappingError("a point must be [timestamp, value]", path)
    ts, value = item
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise JsonMappingError(f"value must be a number, got {value!r}", path)
    return _timestamp(ts, path), float(value)


def _distribution(item: Any, path: str) -> tuple[int, bytes]:
    if not isinstance(item, dict) or "timestamp" not in item:
        raise JsonMappingError(
            'a distribution point must be {"value": <base64>, "timestamp": <ms>}', path
        )
    value = item.get("value", "")
    if not isinstance(value, str):
        raise JsonMappingError(f"value must be a base64 string, got {value!r}", path)
    try:
        payload = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise JsonMappingError("value is not valid base64", join_path(path, "value")) from None
    return _timestamp(item["timestamp"], join_path(path, "timestamp")), payload


WRITABLE = (MetricType.POINTS.value, MetricType.DISTRIBUTION_POINTS.value)


def decode_points(obj: Any, path: str = "data") -> Points | Distributions:
    """A ``points`` MetricCollection as ``Points``, a ``distributionPoints`` one as
    ``Distributions`` (both sorted, last write of a timestamp wins)."""
    collection = parse_model(MetricCollectionBody, obj, path)
    if collection.type not in WRITABLE:
        raise JsonMappingError(
            f"only 'points' and 'distributionPoints' can be written, not {collection.type!r}",
            join_path(path, "type"),
        )
    if collection.type == MetricType.DISTRIBUTION_POINTS.value:
        return Distributions.of(
            _distribution(p, f"{path}.data[{i}]") for i, p in enumerate(collection.data)
        )
    samples = [_sample(p, f"{path}.data[{i}]") for i, p in enumerate(collection.data)]
    return Points.of(samples)


@dataclass(frozen=True, slots=True)
class ManyWritten:
    """What ``write_many`` wrote: series and points past the ingestion filter, and the time of
    each backend call in ns."""

    series: int
    points: int
    times: list[int]


class WriteService:
    """Writes series' points and metadata to the backends of a group."""

    def __init__(
        self,
        ingestion: IngestionSettings,
        backends: Backends,
        slots: asyncio.Semaphore,
        filter: Filter | None = None,
    ) -> None:
        self.ingestion = ingestion
        self.backends = backends
        self.slots = slots
        if filter is None:
            filter = TRUE if not ingestion.filter else parse_filter(ingestion.filter)
        self.filter: Filter = filter

    async def write_raw(self, raw: bytes, group: str | None = None) -> dict[str, Any]:
        """``POST /write`` from the raw body: the typed fast path (``fastwrite``) for the usual
        body, the JSON document path (and its errors) for anything else."""
        fast = fast_decode(raw)
        if fast is None:
            return await self.write(decode_json(raw), group)
        series, points = fast
        if points is None:
            return dict(EMPTY_WRITE)
        return await self._write(series, points, group)

    async def write(self, obj: Any, group: str | None = None) -> dict[str, Any]:
        """``POST /write``."""
        body = parse_model(WriteBody, obj)
        series = decode_series(body.series, "series")
        if body.data is None:
            return dict(EMPTY_WRITE)
        return await self._write(series, decode_points(body.data), group)

    async def _write(
        self, series: Series, points: Points | Distributions, group: str | None
    ) -> dict[str, Any]:
        if not self.filter.matches(series):
            return dict(EMPTY_WRITE)
        ingestion = self.ingestion
        if len(points) == 0:
            if ingestion.update_metadata or ingestion.update_suggestions:
                raise RequestError("write batch must not be empty")
            range_ = None
        else:
            range_ = DateRange(int(np.min(points.timestamps)), int(np.max(points.timestamps)))
        metrics = self._metric_backends(group)
        ops: list[Op] = []
        if ingestion.update_metrics and isinstance(points, Distributions):
            stores = [m for m in metrics if isinstance(m, DistributionStore)]
            if not stores:
                raise RequestError(
                    "distribution points cannot be written: no metric backend of this node "
                    "stores them (only bigtable and memory do)"
                )
            ops += [(m.id, _bind(m.write_distributions, series, points)) for m in stores]
        elif ingestion.update_metrics:
            ops += [(m.id, _bind(m.write, series, points)) for m in metrics]
        if range_ is not None:
            ops += self._index_ops(series, range_, group)
        return {"errors": [], "times": await self._run(ops)}

    async def write_many(
        self, items: Sequence[tuple[Series, Points]], group: str | None = None
    ) -> ManyWritten:
        """The points of many series (each once, points sorted) through the same backends,
        ``ingestion.update*`` flags and filter as ``POST /write``, in one backend call per
        backend where it takes many series (``bulkwrite``). Returns once every call finished;
        raises the first failure (some series may be stored then: a retry rewrites them)."""
        metrics = self._metric_backends(group)
        kept = [(s, p) for s, p in items if len(p) and self.filter.matches(s)]
        ops: list[Op] = []
        if kept and self.ingestion.update_metrics:
            ops += [op for backend in metrics for op in metric_ops(backend, kept)]
        if kept:
            seen = [(s, DateRange(int(p.timestamps[0]), int(p.timestamps[-1]))) for s, p in kept]
            ops += self._bulk_index_ops(seen, group)
        times = await self._run_all(ops)
        return ManyWritten(len(kept), sum(len(p) for _, p in kept), times)

    def _metric_backends(self, group: str | None) -> tuple[MetricBackend, ...]:
        metrics = self.backends.metrics.use(group)
        if group is not None and self.ingestion.update_metrics and not metrics:
            # upstream failed on an unknown group too; writing nowhere would lose the points
            raise RequestError(f"no metric backend belongs to group {group!r}")
        return metrics

    def _bulk_index_ops(
        self, items: Sequence[tuple[Series, DateRange]], group: str | None
    ) -> list[Op]:
        backends: list[MetadataBackend | SuggestBackend] = []
        if self.ingestion.update_metadata:
            backends += self.backends.metadata.use(group)
        if self.ingestion.update_suggestions:
            backends += self.backends.suggest.use(group)
        return [op for backend in backends for op in index_ops(backend, items)]

    async def _run_all(self, ops: list[Op]) -> list[int]:
        """Like ``_run``, but waits for every op before raising the first failure, so that no
        write of a failed request is still running when its client retries."""
        results = await asyncio.gather(
            *(self._timed(name, op) for name, op in ops), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [r for r in results if isinstance(r, int)]

    async def write_metadata(self, series: Series, now: int) -> dict[str, Any]:
        """``PUT /metadata/series``: metadata and suggest over ``[now, now]``."""
        range_ = DateRange(now, now)
        ops = [(b.id, _bind(b.write, series, range_)) for b in self.backends.metadata.use(None)]
        ops += [(b.id, _bind(b.write, series, range_)) for b in self.backends.suggest.use(None)]
        return {"errors": [], "times": await self._run(ops)}

    def _index_ops(self, series: Series, range_: DateRange, group: str | None) -> list[Op]:
        ops: list[Op] = []
        if self.ingestion.update_metadata:
            ops += [
                (b.id, _bind(b.write, series, range_)) for b in self.backends.metadata.use(group)
            ]
        if self.ingestion.update_suggestions:
            ops += [
                (b.id, _bind(b.write, series, range_)) for b in self.backends.suggest.use(group)
            ]
        return ops

    async def _run(self, ops: list[Op]) -> list[int]:
        return list(await asyncio.gather(*(self._timed(name, op) for name, op in ops)))

    async def _timed(self, name: str, op: Callable[[], Awaitable[None]]) -> int:
        async with self.slots:
            started = time.perf_counter_ns()
            try:
                await op()
            except HeroicError:
                raise
            except Exception as exc:
                raise BackendCallError.wrap(f"write to backend {name} failed", exc) from exc
            return time.perf_counter_ns() - started


def _bind(
    fn: Callable[[Any, Any], Awaitable[None]], a: Any, b: Any
) -> Callable[[], Awaitable[None]]:
    return lambda: fn(a, b)
