"""``histogram_quantile`` on classic histograms (``_bucket`` series with an ``le`` label), as
Prometheus' ``bucketQuantile``: buckets sorted and coalesced by bound, counts made monotonic,
linear interpolation inside the bucket that holds the rank. Native histograms do not exist in
Heroic's data model."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np

from heroic_core.promql.values import Floats, Labels, Mask, StepSeries, drop

BUCKET_LABEL = "le"


def _bound(labels: Labels) -> float | None:
    for name, value in labels:
        if name == BUCKET_LABEL:
            try:
                return float(value)
            except ValueError:
                return None
    return None


def bucket_quantile(  # noqa: PLR0911 - Prometheus' cases, in its order
    q: float, bounds: Floats, counts: Floats
) -> float:
    """One histogram's quantile; ``bounds`` sorted ascending."""
    if np.isnan(q):
        return float("nan")
    if q < 0:
        return float("-inf")
    if q > 1:
        return float("inf")
    if len(bounds) == 0 or not np.isposinf(bounds[-1]):
        return float("nan")
    # coalesce equal bounds, then make the counts monotonic
    unique, start = np.unique(bounds, return_index=True)
    counts = np.add.reduceat(counts, start)
    counts = np.maximum.accumulate(counts)
    if len(unique) < 2:
        return float("nan")
    observations = counts[-1]
    if observations == 0:
        return float("nan")
    rank = q * observations
    below = np.flatnonzero(counts[:-1] >= rank)
    b = int(below[0]) if len(below) else len(unique) - 1
    if b == len(unique) - 1:
        return float(unique[-2])
    if b == 0 and unique[0] <= 0:
        return float(unique[0])
    start_bound, end_bound, count = 0.0, unique[b], counts[b]
    if b > 0:
        start_bound = unique[b - 1]
        count -= counts[b - 1]
        rank -= counts[b - 1]
    return float(start_bound + (end_bound - start_bound) * (rank / count))


def histogram_quantile(q: Floats, vector: Sequence[StepSeries]) -> list[StepSeries]:
    groups: dict[Labels, list[tuple[float, StepSeries]]] = {}
    for series in vector:
        bound = _bound(series.labels)
        if bound is not None:
            groups.setdefault(drop(series.labels, [BUCKET_LABEL]), []).append((bound, series))
    out = []
    for key, members in groups.items():
        members.sort(key=lambda m: m[0])
        bounds = np.array([b for b, _ in members])
        values = np.stack([s.values for _, s in members])
        present = np.stack([s.present for _, s in members])
        steps = values.shape[1]
        result = np.full(steps, np.nan)
        any_present = cast(Mask, present.any(axis=0))  # numpy 2's stubs: bool | array
        for step in np.flatnonzero(any_present):
            here = present[:, step]
            result[step] = bucket_quantile(float(q[step]), bounds[here], values[here, step])
        out.append(StepSeries(drop(key, ["__name__"]), result, any_present))
    return out
