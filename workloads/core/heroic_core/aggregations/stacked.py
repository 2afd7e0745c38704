"""The reducible statistics of many groups at once: one row of accumulators per group.

A ``group`` aggregation hands its inner statistic every group's chunks together; reduced one
group at a time, a group of one series costs some thirty numpy calls whatever its size, so a
hundred small groups spend most of their time in call overhead. Here every chunk's bucket
edges are found by binary search (one call per chunk), and each statistic is one ``reduceat``
over all the chunks' values, added into ``groups x buckets`` accumulators in chunk order.

The sums are added in the same order as ``kernels.accumulate`` adds them, so the answers are
the same to the last bit; where that cannot be promised (non-finite values, unsorted or
spread samples, overlapping buckets, small chunks that ``kernels`` would batch), this module
declines and the caller reduces group by group. It computes accumulators only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from heroic_core.aggregations.buckets import Layout
from heroic_core.aggregations.data import Accumulators, Chunk, Floats, Ints, PointsData
from heroic_core.aggregations.kernels import DIRECT_POINTS

#: After the last chunk: ``reduceat`` needs every segment start inside the array.
_PAD = np.zeros(1, dtype=np.float64)


def row(acc: Accumulators, index: int) -> Accumulators:
    """The accumulators of one group (views into the stacked arrays)."""

    def pick(values: Floats | None) -> Floats | None:
        return None if values is None else values[index]

    return Accumulators(
        acc.n[index], pick(acc.cnt), pick(acc.sum), pick(acc.sum2), pick(acc.min), pick(acc.max)
    )


def _points_of(layout: Layout, parts: Sequence[Sequence[Chunk]]) -> list[list[PointsData]] | None:
    """Each group's points when ``kernels.accumulate`` would reduce every chunk of it on its
    own with the sorted kernel (one chunk, or chunks of ``DIRECT_POINTS`` and more)."""
    if layout.extent != layout.size:
        return None
    out: list[list[PointsData]] = []
    for part in parts:
        datas: list[PointsData] = []
        for chunk in part:
            data = chunk.data
            if not isinstance(data, PointsData):
                return None
            if len(part) > 1 and data.ts.shape[0] < DIRECT_POINTS:
                return None
            datas.append(data)
        out.append(datas)
    return out


def _edges(layout: Layout, datas: Sequence[PointsData]) -> Ints | None:
    """Per chunk, the positions of the bucket edges in the concatenated samples (a row of
    ``count + 1``); ``None`` when a chunk is not sorted by time."""
    base = layout.offset + 1 if layout.end else layout.offset
    edges = base + layout.size * np.arange(layout.count + 1, dtype=np.int64)
    positions = np.empty((len(datas), layout.count + 1), dtype=np.int64)
    offset = 0
    for i, data in enumerate(datas):
        ts = data.ts
        if ts.shape[0] > 1 and not (ts[1:] >= ts[:-1]).all():
            return None
        positions[i] = ts.searchsorted(edges)
        positions[i] += offset
        offset += ts.shape[0]
    return positions


def accumulate_parts(
    layout: Layout, parts: Sequence[Sequence[Chunk]], fields: frozenset[str]
) -> tuple[Accumulators, list[int]] | None:
    """Accumulators with one row per part (``row`` picks one) and each part's sample count,
    equal to ``kernels.accumulate`` of each part; ``None`` when that cannot be promised."""
    grouped = _points_of(layout, parts)
    if grouped is None:
        return None
    datas = [d for datas in grouped for d in datas]
    owner = np.repeat(np.arange(len(grouped)), [len(d) for d in grouped])
    values = np.concatenate([*(d.vs for d in datas), _PAD])
    if not bool(np.isfinite(values).all()):
        return None  # kernels drop such samples first: its positions would differ
    positions = _edges(layout, datas)
    if positions is None:
        return None
    count = layout.count
    counts = np.diff(positions, axis=1)
    filled = counts > 0
    # Segment starts: each chunk's filled buckets, then its end (whose reduction is dropped).
    starts = np.concatenate((filled, np.ones((len(datas), 1), dtype=np.bool_)), axis=1)
    chunk_of, bucket_of = np.nonzero(starts)
    indices = positions[chunk_of, bucket_of]
    real = bucket_of < count
    target = owner[chunk_of[real]] * count + bucket_of[real]
    acc = _stacked(len(grouped) * count, fields)
    added = counts[filled]
    np.add.at(acc.n, target, added)
    if acc.cnt is not None:
        np.add.at(acc.cnt, target, added)
    with np.errstate(over="ignore", invalid="ignore"):  # sums may overflow to inf: dropped
        if acc.sum is not None:
            np.add.at(acc.sum, target, np.add.reduceat(values, indices)[real])
        if acc.sum2 is not None:
            np.add.at(acc.sum2, target, np.add.reduceat(values * values, indices)[real])
    if acc.min is not None:
        np.minimum.at(acc.min, target, np.minimum.reduceat(values, indices)[real])
    if acc.max is not None:
        np.maximum.at(acc.max, target, np.maximum.reduceat(values, indices)[real])
    samples = [sum(d.ts.shape[0] for d in datas) for datas in grouped]
    return _reshaped(acc, (len(grouped), count)), samples


def _stacked(size: int, fields: frozenset[str]) -> Accumulators:
    def zeros(name: str, fill: float = 0.0) -> Floats | None:
        return np.full(size, fill, dtype=np.float64) if name in fields else None

    return Accumulators(
        np.zeros(size, dtype=np.float64), zeros("cnt"), zeros("sum"), zeros("sum2"),
        zeros("min", np.inf), zeros("max", -np.inf),
    )  # fmt: skip


def _reshaped(acc: Accumulators, shape: tuple[int, int]) -> Accumulators:
    def rows(values: Floats | None) -> Floats | None:
        return None if values is None else values.reshape(shape)

    return Accumulators(
        acc.n.reshape(shape), rows(acc.cnt), rows(acc.sum), rows(acc.sum2), rows(acc.min),
        rows(acc.max),
    )  # fmt: skip
