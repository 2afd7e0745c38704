"""Collections back from their JSON form, as data nodes send partial aggregates to the API
node for reducing (``distributed``): points, spreads and distribution points.

The inverse of each collection's ``to_json`` for the types a data node's part of a distributed
aggregation can produce; anything else is a ``ValueError`` naming the type. A ``null`` value
(a non-finite double on the wire) comes back as NaN. Decoding only; no aggregation here.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import numpy as np

from heroic_core.aggregations.data import Collection, DistributionsData, PointsData, SpreadsData
from heroic_core.model import MetricType


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _points(values: list[Any]) -> PointsData:
    ts = np.fromiter((int(p[0]) for p in values), dtype=np.int64, count=len(values))
    vs = np.fromiter((_float(p[1]) for p in values), dtype=np.float64, count=len(values))
    return PointsData(ts, vs)


def _spreads(values: list[Any]) -> SpreadsData:
    n = len(values)
    ts = np.fromiter((int(p[0]) for p in values), dtype=np.int64, count=n)
    count = np.fromiter((int(p[1]["count"]) for p in values), dtype=np.int64, count=n)
    columns = (
        np.fromiter((_float(p[1][name]) for p in values), dtype=np.float64, count=n)
        for name in ("sum", "sum2", "min", "max")
    )
    return SpreadsData(ts, count, *columns)


def _distributions(values: list[Any]) -> DistributionsData:
    ts = np.fromiter((int(p["timestamp"]) for p in values), dtype=np.int64, count=len(values))
    return DistributionsData(ts, tuple(base64.b64decode(p["value"]) for p in values))


_DECODERS: dict[MetricType, Callable[[list[Any]], Collection]] = {
    MetricType.POINTS: _points,
    MetricType.SPREADS: _spreads,
    MetricType.DISTRIBUTION_POINTS: _distributions,
}


def collection_from_json(metric_type: str, values: list[Any]) -> Collection:
    """The collection ``{"type": metric_type, "data": values}`` describes."""
    try:
        decode = _DECODERS[MetricType(metric_type)]
    except (ValueError, KeyError):
        raise ValueError(f"cannot reduce collections of type {metric_type!r}") from None
    try:
        return decode(values)
    except (TypeError, KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"malformed {metric_type} values: {exc}") from None
