"""Statistics shared by range functions and aggregations, per row of a 2-D array."""

from __future__ import annotations

from typing import cast

import numpy as np

from heroic_core.promql.values import Floats, Mask


def quantile_rows(q: Floats, values: Floats, valid: Mask) -> Floats:
    """Prometheus' ``quantile`` of each row's valid cells: linear between the closest ranks,
    -Inf for q < 0 and +Inf for q > 1; NaN for a row without valid cells."""
    ordered = np.sort(np.where(valid, values, np.inf), axis=1)
    n = valid.sum(axis=1)
    top = np.maximum(n - 1, 0)
    rank = np.clip(q, 0.0, 1.0) * top
    lower = np.clip(np.floor(rank).astype(np.int64), 0, top)
    upper = np.minimum(lower + 1, top)
    weight = rank - np.floor(rank)
    rows = np.arange(len(n))
    with np.errstate(invalid="ignore"):  # padding (inf) times 0 in rows without cells
        out = ordered[rows, lower] * (1 - weight) + ordered[rows, upper] * weight
    out = np.where(n == 0, np.nan, out)
    out = np.where(q < 0, -np.inf, out)
    return np.where(q > 1, np.inf, out)


def stdvar_rows(values: Floats, valid: Mask) -> Floats:
    """Population variance of each row's valid cells (two passes: stable for large values)."""
    n = valid.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(valid, values, 0.0).sum(axis=1) / n
        dev = np.where(valid, values - mean[:, None], 0.0)
        return cast(Floats, (dev * dev).sum(axis=1) / n)
