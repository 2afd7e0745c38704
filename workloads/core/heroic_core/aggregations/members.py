"""Sampling aggregations that need each bucket's samples in feed order.

``quantile``, ``ratePerSecond``, ``group-unique``, ``cardinality`` and ``tdigest``. Samples of
one type are concatenated in feed order (chunk order, then time order within a chunk, as
upstream feeds one fetched row after another) and expanded into (bucket, sample) memberships
(``Layout.pairs``). This module must not parse JSON.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from heroic_core.aggregations.buckets import Layout
from heroic_core.aggregations.data import (
    Chunk,
    Collection,
    GroupsData,
    Ints,
    PointsData,
    SpreadsData,
    concat,
)
from heroic_core.aggregations.kernels import valid_points
from heroic_core.aggregations.quantile import QuantileSketch
from heroic_core.aggregations.sampling import ALL_TYPES, SamplingAggregation, finite_points
from heroic_core.model import MetricType


def _gather(chunks: Sequence[Chunk], kind: type) -> tuple[Collection | None, Ints]:
    """Valid samples of one collection type in feed order, and each sample's chunk index."""
    parts: list[Collection] = []
    owners: list[Ints] = []
    for position, chunk in enumerate(chunks):
        if isinstance(chunk.data, kind):
            data = valid_points(chunk.data) if isinstance(chunk.data, PointsData) else chunk.data
            parts.append(data)
            owners.append(np.full(len(data), position, dtype=np.int64))
    if not parts:
        return None, np.empty(0, dtype=np.int64)
    return concat(parts), np.concatenate(owners)


def _offsets(buckets: Ints, count: int) -> Ints:
    offsets: Ints = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(np.bincount(buckets, minlength=count), out=offsets[1:])
    return offsets


@dataclass(frozen=True)
class Quantile(SamplingAggregation):
    """Estimated ``q`` quantile per bucket (CKMS sketch, see ``quantile.py``).

    Upstream throws "no data in estimator" for an empty bucket, failing the whole query; we
    omit the bucket like every other aggregation does.
    """

    q: float | None = None
    error: float | None = None

    type_name = "quantile"
    inputs = frozenset({MetricType.POINTS})

    def _params_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.q is not None:
            out["q"] = self.q
        if self.error is not None:
            out["error"] = self.error
        return out

    def _reduce(self, layout: Layout, chunks: Sequence[Chunk]) -> tuple[Collection, int]:
        data, _ = _gather(chunks, PointsData)
        values = np.full(layout.count, np.nan)
        if not isinstance(data, PointsData):
            return finite_points(layout, values), 0
        buckets, samples = layout.pairs(data.ts)
        offsets = _offsets(buckets, layout.count).tolist()
        q = 0.5 if self.q is None else self.q
        error = 0.01 if self.error is None else self.error
        for b in np.unique(buckets).tolist():
            sketch = QuantileSketch(q, error)
            sketch.add_all(data.vs[samples[offsets[b] : offsets[b + 1]]])
            values[b] = sketch.value()
        return finite_points(layout, values), len(data)


@dataclass(frozen=True)
class RatePerSecond(SamplingAggregation):
    """Per bucket: sum of increases between consecutive samples / (t_last - t_first) · 1000.

    Decreases (counter resets) add nothing; a bucket with one sample has no point.
    """

    type_name = "ratePerSecond"
    inputs = frozenset({MetricType.POINTS})

    def _reduce(self, layout: Layout, chunks: Sequence[Chunk]) -> tuple[Collection, int]:
        data, _ = _gather(chunks, PointsData)
        if not isinstance(data, PointsData):
            return finite_points(layout, np.full(layout.count, np.nan)), 0
        buckets, samples = layout.pairs(data.ts)
        ts, vs = data.ts[samples], data.vs[samples]
        step = vs[1:] - vs[:-1]
        rising = (buckets[1:] == buckets[:-1]) & (vs[1:] > vs[:-1])
        increase = np.bincount(buckets[1:], np.where(rising, step, 0.0), layout.count)
        offsets = _offsets(buckets, layout.count)
        present = offsets[1:] > offsets[:-1]
        first = np.zeros(layout.count, dtype=np.int64)
        last = np.zeros(layout.count, dtype=np.int64)
        first[present] = ts[offsets[:-1][present]]
        last[present] = ts[offsets[1:][present] - 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = increase / (last - first).astype(np.float64) * 1000.0
        return finite_points(layout, rate), len(data)


def _first_per_timestamp(buckets: Ints, ts: Ints) -> Ints:
    """Positions keeping the first sample of every (bucket, timestamp), sorted by both."""
    order: Ints = np.lexsort((np.arange(buckets.shape[0]), ts, buckets))
    b, t = buckets[order], ts[order]
    first = np.ones(order.shape[0], dtype=bool)
    first[1:] = (b[1:] != b[:-1]) | (t[1:] != t[:-1])
    kept: Ints = order[first]
    return kept


@dataclass(frozen=True)
class GroupUnique(SamplingAggregation):
    """Per bucket, a metric group of its samples, one per timestamp.

    Upstream keeps samples in sets ordered by timestamp only, so of several samples with the
    same timestamp the first one fed wins; we do the same.
    """

    type_name = "group-unique"
    inputs = ALL_TYPES

    def _reduce(self, layout: Layout, chunks: Sequence[Chunk]) -> tuple[Collection, int]:
        per_bucket: dict[int, list[Collection]] = {}
        samples = 0
        for kind in (PointsData, SpreadsData, GroupsData):
            data, _ = _gather(chunks, kind)
            if data is None:
                continue
            samples += len(data)
            buckets, members = layout.pairs(data.ts)
            keep = _first_per_timestamp(buckets, data.ts[members])
            buckets, members = buckets[keep], members[keep]
            offsets = _offsets(buckets, layout.count).tolist()
            for b in np.unique(buckets).tolist():
                part = data.take(members[offsets[b] : offsets[b + 1]])
                per_bucket.setdefault(b, []).append(part)
        ordered = sorted(per_bucket)
        stamps = layout.timestamps()[np.asarray(ordered, dtype=np.int64)]
        return GroupsData(stamps, tuple(tuple(per_bucket[b]) for b in ordered)), samples
