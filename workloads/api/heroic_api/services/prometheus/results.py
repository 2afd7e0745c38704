"""Prometheus' JSON shapes of query results (``resultType`` vector, matrix, scalar, string):
times as Unix seconds, values as strings in Go's shortest fixed-point form, names escaped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from heroic_core.promql.engine import Result
from heroic_core.promql.values import Labels, Matrix, Scalar, String, Vector, format_value

Escape = Callable[[str], str]


def format_time(ms: int) -> float | int:
    """Unix seconds: an integer when whole, as Prometheus writes them."""
    return ms // 1000 if ms % 1000 == 0 else ms / 1000


def metric(labels: Labels, escape: Escape) -> dict[str, str]:
    out = {}
    for name, value in labels:
        out[escape(name)] = escape(value) if name == "__name__" else value
    return out


def render(result: Result, escape: Escape, *, instant: bool) -> dict[str, Any]:
    """The ``data`` of a query or query_range answer."""
    value, steps = result.value, result.steps
    if isinstance(value, Scalar):
        sample = [format_time(int(steps[-1])), format_value(float(value.values[-1]))]
        if instant:
            return {"resultType": "scalar", "result": sample}
        points = [
            [format_time(int(t)), format_value(float(v))]
            for t, v in zip(steps, value.values, strict=True)
        ]
        return {"resultType": "matrix", "result": [{"metric": {}, "values": points}]}
    if isinstance(value, String):
        return {"resultType": "string", "result": [format_time(int(steps[-1])), value.value]}
    if isinstance(value, Matrix):
        return {
            "resultType": "matrix",
            "result": [
                {
                    "metric": metric(s.labels, escape),
                    "values": [
                        [format_time(int(t)), format_value(float(v))]
                        for t, v in zip(s.times, s.values, strict=True)
                    ],
                }
                for s in value.series
            ],
        }
    assert isinstance(value, Vector)  # noqa: S101 - the four value types
    if instant:
        time = format_time(int(steps[0]))
        return {
            "resultType": "vector",
            "result": [
                {
                    "metric": metric(s.labels, escape),
                    "value": [time, format_value(float(s.values[0]))],
                }
                for s in value.series
                if s.present[0]
            ],
        }
    series = sorted(value.series, key=lambda s: s.labels)
    times = [format_time(int(t)) for t in steps]
    return {
        "resultType": "matrix",
        "result": [
            {
                "metric": metric(s.labels, escape),
                "values": [
                    [times[i], format_value(float(s.values[i]))] for i in np.flatnonzero(s.present)
                ],
            }
            for s in series
        ],
    }
