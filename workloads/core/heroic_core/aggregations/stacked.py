"""The reducible statistics of many groups at once: one row of accumulators per group.

A ``group`` aggregation hands its inner statistic every group's chunks together; reduced one
group at a time, a group of one series costs some thirty numpy calls whatever its size, so a
hundred small groups spend most of their time in call overhead. Here each chunk costs a few
calls (its bucket edges by binary search, one ``reduceat`` per statistic), and what follows is
done for all chunks at once: one ``ufunc.at`` per statistic adds every chunk's filled buckets
into ``groups x buckets`` accumulators, in chunk order. No array as large as all the chunks
together is made: the API process maps such arrays afresh each time (``heroic_api.tuning``),
and touching new pages cost more than the sums. Each value is read once: points the memory
backend promises sorted are not checked again, and a bucket's sum proves its values finite.

The sums are added in the same order as ``kernels.accumulate`` adds them, so the answers are
the same to the last bit; where that cannot be promised (non-finite values, unsorted or
spread samples, overlapping buckets, small chunks that ``kernels`` would batch), this module
declines and the caller reduces group by group. It computes accumulators only.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

import numpy as np

from heroic_core.aggregations import compiled
from heroic_core.aggregations.buckets import Layout
from heroic_core.aggregations.data import (
    Accumulators,
    Chunk,
    Collection,
    Floats,
    Ints,
    PointsData,
)
from heroic_core.aggregations.kernels import DIRECT_POINTS


def row(acc: Accumulators, index: int) -> Accumulators:
    """The accumulators of one group (views into the stacked arrays)."""

    def pick(values: Floats | None) -> Floats | None:
        return None if values is None else values[index]

    return Accumulators(
        acc.n[index], pick(acc.cnt), pick(acc.sum), pick(acc.sum2), pick(acc.min), pick(acc.max)
    )


def _points_of(
    layout: Layout, parts: Sequence[Sequence[Collection]]
) -> list[list[PointsData]] | None:
    """Each group's points when ``kernels.accumulate`` would reduce every chunk of it on its
    own with the sorted kernel (one chunk, or chunks of ``DIRECT_POINTS`` and more)."""
    if layout.extent != layout.size:
        return None
    out: list[list[PointsData]] = []
    for part in parts:
        datas: list[PointsData] = []
        for data in part:
            if not isinstance(data, PointsData):
                return None
            if len(part) > 1 and data.ts.shape[0] < DIRECT_POINTS:
                return None
            datas.append(data)
        out.append(datas)
    return out


class _Segments:
    """Each chunk's bucket edges (a row of positions) and bucket reductions (a row per
    statistic, one ``reduceat`` over its values); then, for every chunk at once, what the
    filled buckets add and where (``group * count + bucket``), in chunk order."""

    def __init__(self, layout: Layout, fields: frozenset[str], chunks: int) -> None:
        self.edges = _edges(layout)
        self.count = layout.count
        # Each chunk's row of positions, stacked once all are in (a row copied into a 2-D
        # array per chunk cost more than the binary search that found it).
        self.rows: list[Ints] = []
        self.reducers = {name: _REDUCERS[name] for name in _REDUCERS if name in fields}
        self.reduced = {name: np.empty((chunks, layout.count)) for name in self.reducers}
        # Without a sum to prove them finite, each chunk's values are summed for that alone.
        self.totals = None if {"sum", "sum2"} & set(self.reducers) else np.zeros(chunks)

    def add(self, data: PointsData) -> bool:
        """Reduce one chunk; False when it is not sorted by time or holds a non-finite value
        outside the buckets (``kernels`` would take another path)."""
        ts, vs = data.ts, data.vs
        if not data.sorted_by_time and ts.shape[0] > 1 and not (ts[1:] >= ts[:-1]).all():
            return False
        i = len(self.rows)
        pos = ts.searchsorted(self.edges)
        self.rows.append(pos)
        at = pos.tolist()  # a few edges: Python ints are cheaper to compare and search
        lo, hi = at[0], at[-1]
        if not (_finite(vs[:lo]) and _finite(vs[hi:])):
            return False
        if self.totals is not None:
            self.totals[i] = np.add.reduce(vs[lo:hi])
        if lo == hi:
            return True
        # Buckets up to the last one starting before ``hi``: the later ones are empty, and a
        # segment start at ``hi`` would lie past the values reduced.
        starts = pos[: bisect.bisect_left(at, hi, 0, len(at) - 1)]
        inside = vs[:hi]
        for name, (ufunc, squared) in self.reducers.items():
            row = self.reduced[name][i]
            row[: starts.shape[0]] = ufunc.reduceat(inside * inside if squared else inside, starts)
        return True

    def into(self, acc: Accumulators, owner: Ints) -> bool:
        """Add the filled buckets of every chunk (chunk ``c`` of group ``owner[c]``) into
        flat accumulators, in chunk order; False when a value was not finite."""
        width = self.count + 1
        positions = (  # one concatenation (np.stack of small rows costs 0.6 µs a row)
            np.concatenate(self.rows).reshape(-1, width)
            if self.rows
            else np.zeros((0, width), dtype=np.int64)
        )
        counts = np.diff(positions, axis=1)
        filled = counts > 0
        chunk_of, bucket_of = filled.nonzero()
        target = owner[chunk_of] * self.count + bucket_of
        reduced = {name: rows[filled] for name, rows in self.reduced.items()}
        # A sum is finite only if every value it adds is (an overflow only says no).
        proof = self.totals if self.totals is not None else reduced.get("sum", reduced.get("sum2"))
        if proof is not None and not _finite(proof):
            return False
        # As floats, like the accumulators: ufunc.at that must cast takes numpy's slow path
        # (0.1 ms for 1,200 buckets instead of 3 µs); counts are exact in a double.
        added = counts[filled].astype(np.float64)
        np.add.at(acc.n, target, added)
        if acc.cnt is not None:
            np.add.at(acc.cnt, target, added)
        for name, values in reduced.items():
            self.reducers[name][0].at(acc.get(name), target, values)
        return True


def _edges(layout: Layout) -> Ints:
    """Where each bucket starts, and where the last one ends (exclusive)."""
    base = layout.offset + 1 if layout.end else layout.offset
    return base + layout.size * np.arange(layout.count + 1, dtype=np.int64)


def _finite(values: Floats) -> bool:
    """Whether every value is finite (their sum is, then; an overflow only says no)."""
    return values.shape[0] == 0 or math.isfinite(np.add.reduce(values))


#: Statistic -> the ufunc that reduces a bucket and adds it in, and whether it squares first.
_REDUCERS: dict[str, tuple[np.ufunc, bool]] = {
    "sum": (np.add, False),
    "sum2": (np.add, True),
    "min": (np.minimum, False),
    "max": (np.maximum, False),
}


def accumulate_parts(
    layout: Layout, parts: Sequence[Sequence[Chunk]], fields: frozenset[str]
) -> tuple[Accumulators, list[int]] | None:
    """Accumulators with one row per part (``row`` picks one) and each part's sample count,
    equal to ``kernels.accumulate`` of each part; ``None`` when that cannot be promised."""
    return accumulate_data(layout, [[c.data for c in part] for part in parts], fields)


def accumulate_data(
    layout: Layout, parts: Sequence[Sequence[Collection]], fields: frozenset[str]
) -> tuple[Accumulators, list[int]] | None:
    """``accumulate_parts`` of each group's chunks' data (no chunks made for them)."""
    grouped = _points_of(layout, parts)
    if grouped is None:
        return None
    samples = [sum(data.ts.shape[0] for data in datas) for datas in grouped]
    summed = compiled.grouped_sums(_edges(layout), grouped, fields)
    if summed is not None:
        return summed, samples
    owner = np.repeat(np.arange(len(grouped)), [len(datas) for datas in grouped])
    segments = _Segments(layout, fields, owner.shape[0])
    acc = _stacked(len(grouped) * layout.count, fields)
    with np.errstate(over="ignore", invalid="ignore"):  # sums may overflow to inf: dropped
        for datas in grouped:
            for data in datas:
                if not segments.add(data):
                    return None
        if not segments.into(acc, owner):
            return None
    return _reshaped(acc, (len(grouped), layout.count)), samples


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
