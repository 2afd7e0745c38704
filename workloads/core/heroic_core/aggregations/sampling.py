"""Sampling (bucket) aggregations: the shared base and the reducible statistics.

``sum``, ``sum2``, ``average``, ``min``, ``max``, ``count``, ``stddev``, ``spread`` and ``tpl``
(reference 6.1/6.2, upstream's ``BucketAggregationInstance``). Every bucket session yields one
output with an empty key over all series it was fed; its caller (group, chain) re-keys it.
This module must not parse JSON; ``parse.py`` builds these objects.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from heroic_core.aggregations.base import Aggregation, Context, Env
from heroic_core.aggregations.buckets import Layout, make_layout
from heroic_core.aggregations.data import (
    Accumulators,
    Chunk,
    Collection,
    Floats,
    PointsData,
    SpreadsData,
    union_series,
)
from heroic_core.aggregations.durations import Duration
from heroic_core.aggregations.kernels import accumulate
from heroic_core.aggregations.stacked import accumulate_data, accumulate_parts, row
from heroic_core.errors import RequestError
from heroic_core.model import DateRange, MetricType, Series

POINTS_AND_SPREADS = frozenset({MetricType.POINTS, MetricType.SPREADS})
ALL_TYPES = frozenset({MetricType.POINTS, MetricType.SPREADS, MetricType.GROUPS})


@dataclass(frozen=True)
class SamplingAggregation(Aggregation):
    """A bucket aggregation with ``size`` and ``extent`` (unset until resolved)."""

    size: Duration | None = None
    extent: Duration | None = None

    inputs: ClassVar[frozenset[MetricType]] = POINTS_AND_SPREADS

    def _params_json(self) -> dict[str, Any]:
        return {}

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type_name}
        if self.size is not None:
            out["size"] = self.size.to_json()
        if self.extent is not None:
            out["extent"] = self.extent.to_json()
        out.update(self._params_json())
        return out

    def _resolve(self, ctx: Context) -> SamplingAggregation:
        default = None if ctx.default_size is None else Duration.of_ms(ctx.default_size)
        size = self.size or ctx.size or default
        extent = self.extent or self.size or ctx.extent or size
        return replace(self, size=size, extent=extent)

    def _sizes(self) -> tuple[int, int]:
        if self.size is None or self.extent is None:
            raise RequestError(f"{self.type_name}: size is not resolved")
        return self.size.to_ms(), self.extent.to_ms()

    def _cadence(self) -> int:
        return -1 if self.size is None else self.size.to_ms()

    def _estimate(self, range_: DateRange) -> int:
        if self.size is None:
            return -1
        size = self.size.to_ms()
        return 0 if size == 0 else range_.rounded(size).diff() // size

    def layout(self, range_: DateRange, strategy: str) -> Layout:
        size, extent = self._sizes()
        return make_layout(range_, size, extent, strategy)

    def _check(self, range_: DateRange, strategy: str) -> None:
        self.layout(range_, strategy)

    def _creation_retention(self, range_: DateRange, strategy: str) -> int:
        return self.layout(range_, strategy).count

    def _evaluate(self, chunks: list[Chunk], env: Env) -> list[Chunk]:
        layout = self.layout(env.range, env.strategy)
        env.retained += layout.count
        accepted = [c for c in chunks if c.data.metric_type in self.inputs]
        data, samples = self._reduce(layout, accepted)
        env.add_samples(samples)
        return [Chunk({}, union_series(chunks), data)]

    @abstractmethod
    def _reduce(self, layout: Layout, chunks: Sequence[Chunk]) -> tuple[Collection, int]:
        """Bucket the accepted chunks; return the output and the number of valid samples."""


def finite_points(layout: Layout, values: Floats) -> PointsData:
    """One point per bucket whose value is finite (upstream drops invalid results)."""
    keep = np.isfinite(values)
    ts = layout.timestamps()
    if bool(keep.all()):
        return PointsData(ts, values, finite=True)
    return PointsData(ts[keep], values[keep], finite=True)


@dataclass(frozen=True)
class _StatAggregation(SamplingAggregation):
    """A statistic of per-bucket accumulators: by default one point per bucket whose value
    (``_values``, elementwise, so that it works on one group or on a row per group) is
    finite."""

    fields: ClassVar[frozenset[str]] = frozenset()
    reads_keys = False  # reduces samples; its output's key is its caller's
    reduces_groups = True

    def _reduce(self, layout: Layout, chunks: Sequence[Chunk]) -> tuple[Collection, int]:
        acc, samples = accumulate(layout, chunks, self.fields)
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._emit(layout, acc), samples

    def _values(self, acc: Accumulators) -> Floats:
        raise NotImplementedError(f"{self.type_name} emits no plain values")

    def _emit(self, layout: Layout, acc: Accumulators) -> Collection:
        return finite_points(layout, self._values(acc))

    def _emit_rows(self, layout: Layout, acc: Accumulators) -> list[Collection]:
        """``_emit`` of every row of stacked accumulators."""
        values = self._values(acc)
        if not bool(np.isfinite(values).all()):
            return [finite_points(layout, v) for v in values]
        ts = layout.timestamps()  # shared by the groups: collections are never changed
        return [PointsData(ts, v, finite=True) for v in values]

    def _evaluate(self, chunks: list[Chunk], env: Env) -> list[Chunk]:
        return self._evaluate_parts([chunks], env)[0]

    def _evaluate_parts(self, parts: list[list[Chunk]], env: Env) -> list[list[Chunk]]:
        """Every group reduced at once (``stacked``) when that gives the same answer; one group
        too (fewer numpy calls than ``kernels``)."""
        layout = self.layout(env.range, env.strategy)
        accepted = [[c for c in part if c.data.metric_type in self.inputs] for part in parts]
        stacked = accumulate_parts(layout, accepted, self.fields)
        if stacked is None:
            one_by_one = super()._evaluate  # (a comprehension has no zero-argument super)
            return [one_by_one(part, env) for part in parts]
        acc, samples = stacked
        with np.errstate(divide="ignore", invalid="ignore"):
            emitted = self._emit_rows(layout, acc)
        env.retained += layout.count * len(parts)
        env.add_samples(sum(samples))
        return [
            [Chunk({}, _series_of(part), data)] for part, data in zip(parts, emitted, strict=True)
        ]

    def _reduce_groups(self, groups: list[list[Collection]], env: Env) -> list[Collection] | None:
        """``_evaluate_parts``' stacked path without chunks (a group's rows in its order)."""
        # Only points are reduced at once (``accumulate_data`` declines anything else).
        if MetricType.POINTS not in self.inputs:
            return None
        layout = self.layout(env.range, env.strategy)
        stacked = accumulate_data(layout, groups, self.fields)
        if stacked is None:
            return None
        acc, samples = stacked
        with np.errstate(divide="ignore", invalid="ignore"):
            emitted = self._emit_rows(layout, acc)
        env.retained += layout.count * len(groups)
        env.add_samples(sum(samples))
        return emitted


def _series_of(part: list[Chunk]) -> tuple[Series, ...]:
    """``union_series`` of a part; a part of one chunk of one series (a group of one series,
    the usual case) is its own answer."""
    if len(part) == 1 and len(part[0].series) == 1:
        return part[0].series
    return union_series(part)


def _filled(values: Floats, acc: Accumulators) -> Floats:
    return np.where(acc.n > 0, values, np.nan)


@dataclass(frozen=True)
class Sum(_StatAggregation):
    """Sum per bucket; an empty bucket has no point."""

    type_name = "sum"
    fields = frozenset({"sum"})

    def _values(self, acc: Accumulators) -> Floats:
        return _filled(acc.get("sum"), acc)


@dataclass(frozen=True)
class Sum2(_StatAggregation):
    """Sum of squares per bucket (a spread contributes its ``sum2``)."""

    type_name = "sum2"
    fields = frozenset({"sum2"})

    def _values(self, acc: Accumulators) -> Floats:
        return _filled(acc.get("sum2"), acc)


@dataclass(frozen=True)
class Average(_StatAggregation):
    """``sum / count`` per bucket, a spread weighing by its ``count``."""

    type_name = "average"
    fields = frozenset({"sum", "cnt"})

    def _values(self, acc: Accumulators) -> Floats:
        return acc.get("sum") / acc.get("cnt")


@dataclass(frozen=True)
class Min(_StatAggregation):
    """Smallest value per bucket (a spread contributes its ``min``)."""

    type_name = "min"
    fields = frozenset({"min"})

    def _values(self, acc: Accumulators) -> Floats:
        return acc.get("min")


@dataclass(frozen=True)
class Max(_StatAggregation):
    """Largest value per bucket (a spread contributes its ``max``)."""

    type_name = "max"
    fields = frozenset({"max"})

    def _values(self, acc: Accumulators) -> Floats:
        return acc.get("max")


@dataclass(frozen=True)
class Count(_StatAggregation):
    """Number of samples per bucket; empty buckets yield 0.0 (never omitted)."""

    type_name = "count"
    inputs = ALL_TYPES

    def _values(self, acc: Accumulators) -> Floats:
        return acc.n


@dataclass(frozen=True)
class StdDev(_StatAggregation):
    """Population standard deviation ``sqrt(Σx²/n - (Σx/n)²)``.

    Upstream takes the square root of a variance that rounding can make slightly negative,
    which yields NaN and silently drops the bucket (e.g. for constant values); we clamp the
    variance at 0 instead.
    """

    type_name = "stddev"
    fields = frozenset({"sum", "sum2", "cnt"})

    def _values(self, acc: Accumulators) -> Floats:
        count = acc.get("cnt")
        mean = acc.get("sum") / count
        variance = np.maximum(acc.get("sum2") / count - mean * mean, 0.0)
        root: Floats = np.sqrt(variance)
        return root


@dataclass(frozen=True)
class Spread(_StatAggregation):
    """``{count, sum, sum2, min, max}`` per non-empty bucket."""

    type_name = "spread"
    fields = frozenset({"cnt", "sum", "sum2", "min", "max"})

    def _emit(self, layout: Layout, acc: Accumulators) -> Collection:
        keep = acc.get("cnt") != 0
        columns = (acc.get(name)[keep] for name in ("sum", "sum2", "min", "max"))
        counts = acc.get("cnt")[keep].astype(np.int64)
        return SpreadsData(layout.timestamps()[keep], counts, *columns)

    def _emit_rows(self, layout: Layout, acc: Accumulators) -> list[Collection]:
        return [self._emit(layout, row(acc, i)) for i in range(acc.n.shape[0])]


@dataclass(frozen=True)
class Template(_StatAggregation):
    """Upstream's example aggregation ``tpl``: 0.0 for every bucket."""

    type_name = "tpl"
    inputs = frozenset({MetricType.POINTS})

    def _values(self, acc: Accumulators) -> Floats:
        return np.zeros(acc.n.shape, dtype=np.float64)
