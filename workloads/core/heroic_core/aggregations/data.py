"""Metric collections flowing between aggregation steps, as numpy columns.

``PointsData``, ``SpreadsData`` and ``GroupsData`` are upstream's point / spread / group
``MetricCollection``s (reference 1.2); ``DistributionsData`` holds distribution points (opaque
payloads) and ``TdigestData`` the merged sketches ``tdigest`` produces; ``Chunk`` is one update
handed to an aggregation step (group key, contributing series, samples). This module only
stores, merges and serializes samples; it must not know about buckets or aggregation semantics.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from heroic_core import tdigest
from heroic_core.model import MetricType, Series

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Key = dict[str, str]


def _json_floats(values: Floats) -> list[float | None]:
    out: list[float | None] = values.tolist()
    # A finite sum means every value is finite (one call; an overflow only means a closer look).
    if not math.isfinite(np.add.reduce(values)):
        out = [v if math.isfinite(v) else None for v in out]  # type: ignore[arg-type]
    return out


@dataclass(frozen=True, slots=True)
class PointsData:
    """Points ``[ts, value]`` as two parallel arrays; ``sorted_by_time``: known to be sorted
    (``model.Points``), so that a kernel need not check; ``finite``: every value is known to be
    finite (a reduction that checked), so that its JSON need not check."""

    ts: Ints
    vs: Floats
    sorted_by_time: bool = field(default=False, compare=False)
    finite: bool = field(default=False, compare=False)

    metric_type = MetricType.POINTS

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def take(self, idx: Ints) -> PointsData:
        return PointsData(self.ts[idx], self.vs[idx])

    def to_json(self) -> list[Any]:
        # Pairs as tuples (JSON arrays all the same): built in C by zip, and left untracked by
        # the garbage collector, which otherwise rescans every pair of a large answer.
        values = self.vs.tolist() if self.finite else _json_floats(self.vs)
        return list(zip(self.ts.tolist(), values, strict=True))

    @staticmethod
    def concat(parts: Sequence[PointsData]) -> PointsData:
        if len(parts) == 1:
            return parts[0]
        return PointsData(
            np.concatenate([p.ts for p in parts]), np.concatenate([p.vs for p in parts])
        )


@dataclass(frozen=True, slots=True)
class SpreadsData:
    """Spreads ``[ts, {count, sum, sum2, min, max}]`` as parallel arrays."""

    ts: Ints
    count: Ints
    sum: Floats
    sum2: Floats
    min: Floats
    max: Floats

    metric_type = MetricType.SPREADS

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def take(self, idx: Ints) -> SpreadsData:
        return SpreadsData(
            self.ts[idx], self.count[idx], self.sum[idx], self.sum2[idx], self.min[idx],
            self.max[idx],
        )  # fmt: skip

    def to_json(self) -> list[Any]:
        columns = zip(
            self.ts.tolist(), self.count.tolist(), _json_floats(self.sum),
            _json_floats(self.sum2), _json_floats(self.min), _json_floats(self.max),
            strict=True,
        )  # fmt: skip
        return [
            [t, {"count": c, "sum": s, "sum2": s2, "min": lo, "max": hi}]
            for t, c, s, s2, lo, hi in columns
        ]

    @staticmethod
    def concat(parts: Sequence[SpreadsData]) -> SpreadsData:
        if len(parts) == 1:
            return parts[0]
        return SpreadsData(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in _SPREAD_FIELDS)
        )


_SPREAD_FIELDS = ("ts", "count", "sum", "sum2", "min", "max")


@dataclass(frozen=True, slots=True)
class GroupsData:
    """Metric groups ``[ts, [<collection>, ...]]``: a timestamp plus nested collections."""

    ts: Ints
    groups: tuple[tuple[Collection, ...], ...]

    metric_type = MetricType.GROUPS

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def take(self, idx: Ints) -> GroupsData:
        return GroupsData(self.ts[idx], tuple(self.groups[i] for i in idx.tolist()))

    def to_json(self) -> list[Any]:
        return [
            [t, [collection_json(c) for c in group]]
            for t, group in zip(self.ts.tolist(), self.groups, strict=True)
        ]

    @staticmethod
    def concat(parts: Sequence[GroupsData]) -> GroupsData:
        if len(parts) == 1:
            return parts[0]
        groups = tuple(g for p in parts for g in p.groups)
        return GroupsData(np.concatenate([p.ts for p in parts]), groups)


@dataclass(frozen=True, slots=True)
class DistributionsData:
    """Distribution points ``{"value": <base64 payload>, "timestamp": ts}``."""

    ts: Ints
    payloads: tuple[bytes, ...]

    metric_type = MetricType.DISTRIBUTION_POINTS

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def take(self, idx: Ints) -> DistributionsData:
        return DistributionsData(self.ts[idx], tuple(self.payloads[i] for i in idx.tolist()))

    def to_json(self) -> list[Any]:
        return [
            {"value": base64.b64encode(p).decode("ascii"), "timestamp": t}
            for t, p in zip(self.ts.tolist(), self.payloads, strict=True)
        ]

    @staticmethod
    def concat(parts: Sequence[DistributionsData]) -> DistributionsData:
        if len(parts) == 1:
            return parts[0]
        payloads = tuple(p for part in parts for p in part.payloads)
        return DistributionsData(np.concatenate([p.ts for p in parts]), payloads)


@dataclass(frozen=True, slots=True)
class TdigestData:
    """Merged t-digest sketches, one per bucket; serialized as upstream's ``TdigestPoint``
    (``{"value": <base64 small encoding>, "timestamp": ts}``)."""

    ts: Ints
    digests: tuple[tdigest.TDigest, ...]

    metric_type = MetricType.TDIGEST_POINTS

    def __len__(self) -> int:
        return int(self.ts.shape[0])

    def take(self, idx: Ints) -> TdigestData:
        return TdigestData(self.ts[idx], tuple(self.digests[i] for i in idx.tolist()))

    def to_json(self) -> list[Any]:
        return [
            {"value": base64.b64encode(tdigest.encode(d)).decode("ascii"), "timestamp": t}
            for t, d in zip(self.ts.tolist(), self.digests, strict=True)
        ]

    @staticmethod
    def concat(parts: Sequence[TdigestData]) -> TdigestData:
        if len(parts) == 1:
            return parts[0]
        digests = tuple(d for part in parts for d in part.digests)
        return TdigestData(np.concatenate([p.ts for p in parts]), digests)


Collection = PointsData | SpreadsData | GroupsData | DistributionsData | TdigestData


def collection_json(collection: Collection) -> dict[str, Any]:
    """A ``MetricCollection`` object: ``{"type": <identifier>, "data": [...]}``."""
    return {"type": collection.metric_type.value, "data": collection.to_json()}


def empty_points() -> PointsData:
    return PointsData(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))


def empty_like(metric_type: MetricType) -> Collection:
    """An empty collection of the given type (points for unsupported types)."""
    if metric_type is MetricType.SPREADS:
        z = np.empty(0, dtype=np.float64)
        return SpreadsData(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), z, z, z, z)
    if metric_type is MetricType.GROUPS:
        return GroupsData(np.empty(0, dtype=np.int64), ())
    if metric_type is MetricType.DISTRIBUTION_POINTS:
        return DistributionsData(np.empty(0, dtype=np.int64), ())
    if metric_type is MetricType.TDIGEST_POINTS:
        return TdigestData(np.empty(0, dtype=np.int64), ())
    return empty_points()


def concat(parts: Sequence[Collection]) -> Collection:
    """Concatenate collections of one type, keeping their order."""
    first = parts[0]
    if isinstance(first, PointsData):
        return PointsData.concat(parts)  # type: ignore[arg-type]
    if isinstance(first, SpreadsData):
        return SpreadsData.concat(parts)  # type: ignore[arg-type]
    if isinstance(first, DistributionsData):
        return DistributionsData.concat(parts)  # type: ignore[arg-type]
    if isinstance(first, TdigestData):
        return TdigestData.concat(parts)  # type: ignore[arg-type]
    return GroupsData.concat(parts)  # type: ignore[arg-type]


def merge_in_time_order(parts: Sequence[Collection]) -> Collection:
    """Concatenate and stable-sort by timestamp (upstream merges sorted fetches)."""
    merged = concat(parts)
    if len(parts) == 1:
        return merged
    ts = merged.ts
    if ts.shape[0] < 2 or bool((ts[1:] >= ts[:-1]).all()):
        return merged
    return merged.take(np.argsort(ts, kind="stable"))


@dataclass(frozen=True, slots=True)
class Chunk:
    """One update fed to (or produced by) an aggregation step."""

    key: Key
    series: tuple[Series, ...]
    data: Collection

    def with_key(self, key: Key) -> Chunk:
        return Chunk(key, self.series, self.data)


def key_id(key: Key) -> tuple[tuple[str, str], ...]:
    """A hashable identity for a group key."""
    return tuple(sorted(key.items()))


def union_series(chunks: Iterable[Chunk]) -> tuple[Series, ...]:
    """The distinct series of the chunks, in first-seen order."""
    seen: dict[Series, None] = {}
    for chunk in chunks:
        for s in chunk.series:
            seen.setdefault(s, None)
    return tuple(seen)


@dataclass(slots=True)
class Accumulators:
    """Per-bucket accumulators; arrays not requested stay ``None``."""

    n: Floats
    cnt: Floats | None = None
    sum: Floats | None = None
    sum2: Floats | None = None
    min: Floats | None = None
    max: Floats | None = None

    def get(self, name: str) -> Floats:
        """A requested accumulator (a missing one is a programming error)."""
        value: Floats | None = getattr(self, name)
        if value is None:
            raise KeyError(f"accumulator {name!r} was not requested")
        return value
