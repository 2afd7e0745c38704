"""Vectorised per-bucket reductions (sum, count, sum of squares, min, max) over chunks.

Samples are processed chunk by chunk (small chunks are concatenated into batches) so that a
large query never needs one copy of all its points; each batch is reduced with ``bincount``
and ``ufunc.reduceat``/``ufunc.at`` into per-bucket accumulators. Only valid samples count:
points with a finite value, every spread, every group. This module computes accumulators; it
must not decide what an aggregation emits.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from heroic_core.aggregations.buckets import Layout
from heroic_core.aggregations.data import (
    Accumulators,
    Chunk,
    Collection,
    Floats,
    Ints,
    PointsData,
    SpreadsData,
)
from heroic_core.aggregations.data import concat as concat_collections
from heroic_core.aggregations.windows import combine, fine_layout

#: Chunks at least this long are reduced on their own (no copy); smaller consecutive chunks
#: are concatenated into batches of about ``BATCH_POINTS`` (amortises numpy call overhead).
DIRECT_POINTS = 4096
BATCH_POINTS = 1 << 15

#: Accumulator names: ``n`` samples, ``cnt`` weighted count (a spread counts its ``count``),
#: ``sum``, ``sum2``, ``min``, ``max``.
FIELDS = frozenset({"n", "cnt", "sum", "sum2", "min", "max"})


@dataclass(frozen=True, slots=True)
class _Columns:
    """Per-sample contributions of one batch (``None`` = not applicable or same as ``sum``)."""

    ts: Ints
    sum: Floats | None
    cnt: Floats | None  # None: every sample counts 1
    sum2: Floats | None  # None: sum * sum
    min: Floats | None
    max: Floats | None


def valid_points(data: PointsData) -> PointsData:
    """The points with a finite value (upstream skips the others)."""
    finite = np.isfinite(data.vs)
    if bool(finite.all()):  # one pass, and no errstate context per series (it cost more)
        return data
    return PointsData(data.ts[finite], data.vs[finite], finite=True)


def batches(chunks: Sequence[Chunk]) -> Iterator[tuple[Collection, bool]]:
    """The chunks' collections, small consecutive ones of one type concatenated.

    Also says whether the batch is one chunk (whose samples are sorted by time).
    """
    parts: list[Collection] = []
    size = 0
    for chunk in chunks:
        data = chunk.data
        if parts and (len(data) >= DIRECT_POINTS or type(parts[0]) is not type(data)):
            yield concat_collections(parts), len(parts) == 1
            parts, size = [], 0
        if len(data) >= DIRECT_POINTS:
            yield data, True
            continue
        parts.append(data)
        size += len(data)
        if size >= BATCH_POINTS:
            yield concat_collections(parts), len(parts) == 1
            parts, size = [], 0
    if parts:
        yield concat_collections(parts), len(parts) == 1


def _columns(data: Collection) -> _Columns:
    if isinstance(data, PointsData):
        return _Columns(data.ts, data.vs, None, None, data.vs, data.vs)
    if isinstance(data, SpreadsData):
        cnt = data.count.astype(np.float64)
        return _Columns(data.ts, data.sum, cnt, data.sum2, data.min, data.max)
    return _Columns(data.ts, None, None, None, None, None)


def _extreme(acc: Floats, idx: Ints, values: Floats, ufunc: np.ufunc) -> None:
    """``acc[idx] = ufunc(acc[idx], values)`` per bucket, compressing runs of one bucket."""
    if idx.shape[0] == 0:
        return
    starts = np.flatnonzero(idx[1:] != idx[:-1]) + 1
    starts = np.concatenate((np.zeros(1, dtype=np.int64), starts))
    ufunc.at(acc, idx[starts], ufunc.reduceat(values, starts))


def _add(acc: Floats, idx: Ints, weights: Floats | None, size: int) -> None:
    acc += np.bincount(idx, weights=weights, minlength=size)


def _pick(values: Floats | None, mask: npt.NDArray[np.bool_] | None) -> Floats | None:
    if values is None or mask is None:
        return values
    return values[mask]


def _reduce_pass(
    acc: Accumulators, cols: _Columns, idx: Ints, mask: npt.NDArray[np.bool_] | None, size: int
) -> bool:
    """Add one bucket assignment; False (nothing added) if an index was out of range."""
    sel = idx if mask is None else idx[mask]
    try:
        counts = np.bincount(sel, minlength=size)
    except ValueError:  # a negative index: the batch was not sorted as trusted
        return False
    if counts.shape[0] != size:
        return False
    total = counts.astype(np.float64)
    acc.n += total
    value = _pick(cols.sum, mask)
    if acc.cnt is not None:
        weights = _pick(cols.cnt, mask)
        acc.cnt += total if weights is None else np.bincount(sel, weights, size)
    if acc.sum is not None and value is not None:
        _add(acc.sum, sel, value, size)
    if acc.sum2 is not None and value is not None:
        squares = _pick(cols.sum2, mask)
        _add(acc.sum2, sel, value * value if squares is None else squares, size)
    if acc.min is not None and (low := _pick(cols.min, mask)) is not None:
        _extreme(acc.min, sel, low, np.minimum)
    if acc.max is not None and (high := _pick(cols.max, mask)) is not None:
        _extreme(acc.max, sel, high, np.maximum)
    return True


def _reduce_sorted(acc: Accumulators, layout: Layout, cols: _Columns) -> bool:
    """Points sorted by time into buckets a sample falls into at most one of: the bucket
    edges are found by binary search and each statistic is one ``reduceat`` over the points,
    with no per-sample bucket index (a series of 4,320 points costs a few microseconds
    instead of a division and a ``bincount`` per statistic). False when that does not apply
    (spreads, overlapping buckets, unsorted input)."""
    values = cols.sum
    if layout.extent != layout.size or cols.cnt is not None or values is None:
        return False
    ts = cols.ts
    if ts.shape[0] > 1 and not bool((ts[1:] >= ts[:-1]).all()):
        return False
    base = layout.offset + 1 if layout.end else layout.offset
    edges = base + layout.size * np.arange(layout.count + 1, dtype=np.int64)
    pos = np.searchsorted(ts, edges, side="left")
    counts = np.diff(pos)
    filled = counts > 0
    if not bool(filled.any()):
        return True
    lo, hi = int(pos[0]), int(pos[-1])
    inside = values[lo:hi]
    # Consecutive non-empty buckets cover the points between the first and the last edge.
    segments = pos[:-1][filled] - lo
    acc.n[filled] += counts[filled]
    if acc.cnt is not None:
        acc.cnt[filled] += counts[filled]
    with np.errstate(over="ignore", invalid="ignore"):  # sums may overflow to inf: dropped
        if acc.sum is not None:
            acc.sum[filled] += np.add.reduceat(inside, segments)
        if acc.sum2 is not None:
            acc.sum2[filled] += np.add.reduceat(inside * inside, segments)
    if acc.min is not None:
        acc.min[filled] = np.minimum(acc.min[filled], np.minimum.reduceat(inside, segments))
    if acc.max is not None:
        acc.max[filled] = np.maximum(acc.max[filled], np.maximum.reduceat(inside, segments))
    return True


def _reduce_batch(acc: Accumulators, layout: Layout, cols: _Columns, trusted: bool) -> None:
    if trusted and _reduce_sorted(acc, layout, cols):
        return
    for idx, mask in layout.passes(cols.ts, trust_sorted=trusted):
        if not _reduce_pass(acc, cols, idx, mask, layout.count):
            if not trusted:
                raise AssertionError("bucket index out of range after a full check")
            _reduce_batch(acc, layout, cols, trusted=False)
            return


def accumulate(
    layout: Layout, chunks: Sequence[Chunk], fields: frozenset[str], *, fine_bins: bool = True
) -> tuple[Accumulators, int]:
    """Reduce the chunks into per-bucket accumulators; also return the valid sample count.

    Overlapping buckets are computed through fine bins when that is cheaper (``windows.py``);
    ``fine_bins=False`` forces one pass per overlapped bucket.
    """
    fine = fine_layout(layout, sum(len(c.data) for c in chunks)) if fine_bins else None
    target = fine or layout
    size = target.count

    def zeros(name: str, fill: float = 0.0) -> Floats | None:
        return np.full(size, fill, dtype=np.float64) if name in fields else None

    acc = Accumulators(
        np.zeros(size, dtype=np.float64), zeros("cnt"), zeros("sum"), zeros("sum2"),
        zeros("min", np.inf), zeros("max", -np.inf),
    )  # fmt: skip
    samples = 0
    for batch, single_chunk in batches(chunks):
        data = valid_points(batch) if isinstance(batch, PointsData) else batch
        samples += len(data)
        if len(data):
            _reduce_batch(acc, target, _columns(data), single_chunk)
    return (acc if fine is None else combine(layout, fine, acc)), samples
