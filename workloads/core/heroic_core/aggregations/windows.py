"""Overlapping buckets (``extent > size``) via fine bins, for the reducible statistics.

Every bucket window is a union of consecutive bins of width ``g = gcd(size, extent)``
aligned with the windows, so the samples are reduced once into bins and each bucket then
combines ``extent / g`` bins. This replaces ``extent / size`` full passes over the samples
when that is cheaper. Sums are combined per bin instead of per sample, which may change the
last bits of a floating-point sum; nothing else differs. Only called from ``kernels.py``.
"""

from __future__ import annotations

from dataclasses import replace
from math import gcd

import numpy as np

from heroic_core.aggregations.buckets import Layout
from heroic_core.aggregations.data import Accumulators, Floats

#: Upper bounds for the fine-bin plan (bins, and bin reads when combining them).
MAX_BINS = 2_000_000
MAX_COMBINE = 20_000_000


def fine_layout(layout: Layout, samples: int) -> Layout | None:
    """The bin layout for ``layout``, or ``None`` when per-sample passes are cheaper."""
    size, extent = layout.size, layout.extent
    if extent <= size:
        return None
    step = gcd(size, extent)
    bins = (size * (layout.count - 1) + extent) // step
    width = extent // step
    passes = -(-extent // size) + 1
    if bins > MAX_BINS or layout.count * width > MAX_COMBINE:
        return None
    if samples * passes <= samples + bins + layout.count * width:
        return None
    # end: the first window is (S + size - extent, S + size]; start: [S, S + extent)
    offset = layout.offset + size - extent if layout.end else layout.offset
    first = offset + step if layout.end else offset
    return Layout(offset, first, step, step, bins, layout.end)


def combine(layout: Layout, fine: Layout, bins: Accumulators) -> Accumulators:
    """Bucket accumulators from bin accumulators (bucket ``i`` = bins ``[i·r, i·r + w)``)."""
    ratio, width = layout.size // fine.size, layout.extent // fine.size
    last = ratio * (layout.count - 1) + 1

    def window(values: Floats | None, ufunc: np.ufunc) -> Floats | None:
        if values is None:
            return None
        out = values[0:last:ratio].copy()
        for k in range(1, width):
            ufunc(out, values[k : k + last : ratio], out=out)
        return out

    n = window(bins.n, np.add)
    assert n is not None  # noqa: S101 - always present
    return replace(
        bins,
        n=n,
        cnt=window(bins.cnt, np.add),
        sum=window(bins.sum, np.add),
        sum2=window(bins.sum2, np.add),
        min=window(bins.min, np.minimum),
        max=window(bins.max, np.maximum),
    )
