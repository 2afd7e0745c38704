"""``cardinality``: distinct samples per bucket.

Upstream hashes each sample (a point by its value bits only, a spread by all its fields, plus
the sorted group key with ``includeKey``) and counts distinct hashes exactly or with
HyperLogLog(+). We always count exactly: the exact count is within any error bound the
``hll``/``hllp`` methods promise, and no sketch state is exchanged between nodes here.
This module must not parse JSON.
"""

from __future__ import annotations

import json
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
    collection_json,
    concat,
    key_id,
)
from heroic_core.aggregations.kernels import valid_points
from heroic_core.aggregations.sampling import ALL_TYPES, SamplingAggregation

METHODS = ("exact", "hll", "hllp")


@dataclass(frozen=True, slots=True)
class CardinalityMethod:
    """``{type: exact|hll|hllp, precision?, includeKey}``; the default is ``hllp(16)``."""

    kind: str = "hllp"
    precision: float | int | None = None
    include_key: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind}
        if self.kind == "hll":
            out["precision"] = 0.01 if self.precision is None else float(self.precision)
        elif self.kind == "hllp":
            out["precision"] = 16 if self.precision is None else int(self.precision)
        out["includeKey"] = self.include_key
        return out


def _dense(values: Ints) -> Ints:
    """Map arbitrary int64 identities to dense codes ``0..k-1``."""
    inverse: Ints = np.unique(values, return_inverse=True)[1].astype(np.int64)
    return inverse.reshape(-1)


def _identities(data: Collection) -> Ints:
    """Dense identity codes of the samples (equal samples share a code)."""
    if isinstance(data, PointsData):
        return _dense(data.vs.view(np.int64))
    if isinstance(data, SpreadsData):
        rows = np.stack(
            [data.ts, data.count]
            + [getattr(data, f).view(np.int64) for f in ("sum", "sum2", "min", "max")],
            axis=1,
        )
        inverse: Ints = np.unique(rows, axis=0, return_inverse=True)[1].astype(np.int64)
        return inverse.reshape(-1)
    if not isinstance(data, GroupsData):
        raise TypeError(f"cardinality does not count {data.metric_type.value}")
    seen: dict[tuple[int, str], int] = {}
    codes = [
        seen.setdefault((t, json.dumps([collection_json(c) for c in g])), len(seen))
        for t, g in zip(data.ts.tolist(), data.groups, strict=True)
    ]
    return np.asarray(codes, dtype=np.int64)


@dataclass(frozen=True)
class Cardinality(SamplingAggregation):
    """Number of distinct samples per bucket; empty buckets yield 0.0."""

    method: CardinalityMethod = CardinalityMethod()

    type_name = "cardinality"
    inputs = ALL_TYPES

    def _params_json(self) -> dict[str, Any]:
        return {"method": self.method.to_json()}

    def _samples(self, chunks: Sequence[Chunk]) -> tuple[Ints, Ints]:
        """Timestamps and identity codes of all valid samples (type-disjoint codes)."""
        keys = {key_id(c.key): None for c in chunks}
        key_code = {k: i for i, k in enumerate(keys)}
        stamps: list[Ints] = []
        codes: list[Ints] = []
        offset = 0
        for kind in (PointsData, SpreadsData, GroupsData):
            picked = [
                (i, valid_points(c.data) if isinstance(c.data, PointsData) else c.data)
                for i, c in enumerate(chunks)
                if isinstance(c.data, kind)
            ]
            if not picked:
                continue
            data = concat([d for _, d in picked])
            ident = _identities(data)
            if self.method.include_key:
                owner = np.concatenate([np.full(len(d), i) for i, d in picked]).astype(np.int64)
                chunk_keys = np.asarray([key_code[key_id(c.key)] for c in chunks])
                ident = _dense(chunk_keys[owner] * (int(ident.max(initial=0)) + 1) + ident)
            stamps.append(data.ts)
            codes.append(ident + offset)
            offset += int(ident.max(initial=-1)) + 1
        if not stamps:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        return np.concatenate(stamps), np.concatenate(codes)

    def _reduce(self, layout: Layout, chunks: Sequence[Chunk]) -> tuple[Collection, int]:
        ts, codes = self._samples(chunks)
        counts = np.zeros(layout.count, dtype=np.float64)
        if ts.shape[0]:
            buckets, members = layout.pairs(ts)
            width = int(codes.max()) + 1
            distinct = np.unique(buckets * width + codes[members])
            counts = np.bincount(distinct // width, minlength=layout.count).astype(np.float64)
        return PointsData(layout.timestamps(), counts), int(ts.shape[0])
