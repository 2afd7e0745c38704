"""Aggregations that first collect raw data per group (like ``empty``) and then transform it.

``delta``, ``deltaPerSecond``, ``notNegative`` (per-group point transforms, cadence -1),
``topk``/``bottomk``/``abovek``/``belowk`` (keep or drop whole groups, cadence -1) and
``pointsabove``/``pointsbelow`` (drop points, cadence 0) — reference 6.1/6.3. Orderings follow
Java's ``Double.compare`` (NaN above everything, -0.0 below 0.0). No JSON parsing here.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np

from heroic_core.aggregations.base import Aggregation, Context, Env
from heroic_core.aggregations.data import Chunk, Floats, PointsData
from heroic_core.aggregations.grouping import Empty
from heroic_core.errors import RequestError


@dataclass(frozen=True)
class _Collecting(Aggregation):
    """Collect like ``empty``, then transform the collected groups."""

    points_only = False  # upstream's delta sessions ignore every non-point update

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type_name, **self._params_json()}

    def _params_json(self) -> dict[str, Any]:
        return {}

    def _resolve(self, ctx: Context) -> Aggregation:
        return self

    def _evaluate(self, chunks: list[Chunk], env: Env) -> list[Chunk]:
        if self.points_only:
            chunks = [c for c in chunks if isinstance(c.data, PointsData)]
        return self._transform(Empty()._evaluate(chunks, env))

    @abstractmethod
    def _transform(self, groups: list[Chunk]) -> list[Chunk]: ...


def _map_points(groups: list[Chunk], fn: Any) -> list[Chunk]:
    out = []
    for group in groups:
        data = group.data
        if isinstance(data, PointsData):
            with np.errstate(divide="ignore", invalid="ignore"):
                data = fn(data)
        out.append(Chunk(group.key, group.series, data))
    return out


@dataclass(frozen=True)
class Delta(_Collecting):
    """``[t_i, v_i - v_{i-1}]`` per group; the first point is dropped."""

    type_name = "delta"
    points_only = True

    def _transform(self, groups: list[Chunk]) -> list[Chunk]:
        return _map_points(groups, lambda d: PointsData(d.ts[1:], d.vs[1:] - d.vs[:-1]))


@dataclass(frozen=True)
class DeltaPerSecond(_Collecting):
    """``(v_i - v_{i-1}) · 1000 / (t_i - t_{i-1})`` per group."""

    type_name = "deltaPerSecond"
    points_only = True

    def _transform(self, groups: list[Chunk]) -> list[Chunk]:
        def per_second(d: PointsData) -> PointsData:
            elapsed = (d.ts[1:] - d.ts[:-1]).astype(np.float64)
            return PointsData(d.ts[1:], (d.vs[1:] - d.vs[:-1]) * 1000.0 / elapsed)

        return _map_points(groups, per_second)


@dataclass(frozen=True)
class NotNegative(_Collecting):
    """Drops points with a value below zero (and NaN)."""

    type_name = "notNegative"
    points_only = True

    def _transform(self, groups: list[Chunk]) -> list[Chunk]:
        return _map_points(groups, lambda d: d.take(np.flatnonzero(d.vs >= 0.0)))


@dataclass(frozen=True)
class _PointsThreshold(_Collecting):
    threshold: float = 0.0
    above = True

    def _params_json(self) -> dict[str, Any]:
        return {"threshold": self.threshold}

    def _cadence(self) -> int:
        return 0

    def _transform(self, groups: list[Chunk]) -> list[Chunk]:
        compare = np.greater if self.above else np.less
        return _map_points(groups, lambda d: d.take(np.flatnonzero(compare(d.vs, self.threshold))))


@dataclass(frozen=True)
class PointsAbove(_PointsThreshold):
    """Keeps points with value > threshold; groups are kept even when emptied."""

    type_name = "pointsabove"


@dataclass(frozen=True)
class PointsBelow(_PointsThreshold):
    """Keeps points with value < threshold; groups are kept even when emptied."""

    type_name = "pointsbelow"
    above = False


def _points_of(group: Chunk, name: str) -> PointsData:
    if not isinstance(group.data, PointsData):
        raise RequestError(f"{name}: expected points, got {group.data.metric_type.value}")
    return group.data


def double_order(value: float) -> tuple[int, float, float]:
    """Sort key reproducing Java's ``Double.compare`` total order."""
    if math.isnan(value):
        return (1, 0.0, 0.0)
    return (0, value, math.copysign(1.0, value))


def area(data: PointsData) -> float:
    """Signed area under the points (trapezoids split at zero crossings; reference 6.3)."""
    if len(data) < 2:
        return 0.0
    x1, x2 = data.ts[:-1].astype(np.float64), data.ts[1:].astype(np.float64)
    y1, y2 = data.vs[:-1], data.vs[1:]
    a1, a2 = np.abs(y1), np.abs(y2)
    with np.errstate(divide="ignore", invalid="ignore"):
        base, low = x2 - x1, np.minimum(a1, a2)
        same = np.copysign(base * low + base * (np.maximum(a1, a2) - low) / 2.0, y1)
        cross = x1 - y1 / ((y2 - y1) / (x2 - x1))
        first = (cross - x1) * 0.0 + (cross - x1) * a1 / 2.0
        second = (x2 - cross) * 0.0 + (x2 - cross) * a2 / 2.0
        split = np.copysign(first, y1) + np.copysign(second, y2)
    same_sign = (y1 == 0) | (y2 == 0) | ((y1 < 0) == (y2 < 0))
    segments = np.where(x1 == x2, 0.0, np.where(same_sign, same, split))
    return float(np.add.accumulate(segments)[-1])


def _positive_k(k: float) -> int:
    return max(int(k), 0)


@dataclass(frozen=True)
class TopK(_Collecting):
    """Keeps the ``k`` groups with the largest area; groups without points are dropped."""

    k: int = 0

    type_name = "topk"
    largest = True

    def _params_json(self) -> dict[str, Any]:
        return {"k": self.k}

    def _transform(self, groups: list[Chunk]) -> list[Chunk]:
        scored = [(area(_points_of(g, self.type_name)), g) for g in groups if len(g.data) > 0]
        scored.sort(key=lambda pair: double_order(pair[0]), reverse=self.largest)
        return [g for _, g in scored[: _positive_k(self.k)]]


@dataclass(frozen=True)
class BottomK(TopK):
    """Keeps the ``k`` groups with the smallest area."""

    type_name = "bottomk"
    largest = False


def _extreme(values: Floats, largest: bool) -> float:
    if largest:
        return math.nan if bool(np.isnan(values).any()) else float(values.max())
    finite = values[~np.isnan(values)]
    return float(finite.min()) if finite.shape[0] else math.nan


@dataclass(frozen=True)
class AboveK(_Collecting):
    """Keeps the groups whose maximum is above ``k``; groups without points are dropped."""

    k: float = 0.0

    type_name = "abovek"
    largest = True

    def _params_json(self) -> dict[str, Any]:
        return {"k": self.k}

    def _transform(self, groups: list[Chunk]) -> list[Chunk]:
        out = []
        for group in groups:
            if not len(group.data):
                continue
            value = _extreme(_points_of(group, self.type_name).vs, self.largest)
            if (value > self.k) if self.largest else (value < self.k):
                out.append(group)
        return out


@dataclass(frozen=True)
class BelowK(AboveK):
    """Keeps the groups whose minimum is below ``k``."""

    type_name = "belowk"
    largest = False
