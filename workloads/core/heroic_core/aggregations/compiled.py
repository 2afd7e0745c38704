"""The grouped sums of ``stacked`` in compiled code (``heroic_core._native``, Rust), when it
is built: each chunk is read once, its buckets summed with NumPy's own order of additions
(``reduceat``: a bucket's first value plus the pairwise sum of the rest, eight running sums at
a time), and added into its group's row in chunk order as ``ufunc.at`` adds them, so the
answers are NumPy's to the last bit (a property test compares both).

It covers every statistic ``stacked`` reduces (sizes, counts, sums, sums of squares, smallest
and largest values). It declines (``None``: NumPy decides) wherever that path could decline,
and where a bucket's smallest or largest value is a zero (between ``-0.0`` and ``0.0`` NumPy's
choice depends on its loop): points not in time order (unless promised: NumPy
trusts the promise too, and a broken one gives no meaningful answer on either path), values
that are not finite or could overflow a sum.
``$HEROIC_QUERY_KERNEL=numpy`` turns it off (to compare both); ``AVAILABLE`` says whether it
was built.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from heroic_core.aggregations.data import Accumulators, Floats, Ints, PointsData

try:
    from heroic_core import _native
except ImportError:  # built without cargo: NumPy serves
    _native = None  # type: ignore[assignment]

AVAILABLE = _native is not None
#: Set to ``numpy`` to leave every grouped reduction to NumPy.
KERNEL_ENV = "HEROIC_QUERY_KERNEL"
COVERED = frozenset({"cnt", "sum", "sum2", "min", "max"})


def enabled() -> bool:
    """Whether the compiled kernel serves: built, and not turned off."""
    return AVAILABLE and os.environ.get(KERNEL_ENV, "") != "numpy"


def grouped_sums(
    edges: Ints, grouped: Sequence[Sequence[PointsData]], fields: frozenset[str]
) -> Accumulators | None:
    """Accumulators of ``len(grouped) x (len(edges) - 1)`` buckets (bucket ``j`` holds the
    points from ``edges[j]`` up to before ``edges[j + 1]``), or ``None`` when NumPy must
    decide (not built, turned off, a statistic not covered, or declined)."""
    if _native is None or not fields <= COVERED or not enabled():
        return None
    datas = [data for datas in grouped for data in datas]
    owners = [g for g, datas in enumerate(grouped) for _ in datas]
    out = _native.grouped_sums(
        [d.ts for d in datas], [d.vs for d in datas], [d.sorted_by_time for d in datas], owners,
        len(grouped), edges,
        cnt="cnt" in fields, sum="sum" in fields, sum2="sum2" in fields, min="min" in fields,
        max="max" in fields,
    )  # fmt: skip
    if out is None:
        return None
    shape = (len(grouped), edges.shape[0] - 1)

    def rows(raw: bytearray | None) -> Floats | None:
        return None if raw is None else np.frombuffer(raw, dtype=np.float64).reshape(shape)

    n, cnt, sums, sum2, smallest, largest = out
    return Accumulators(np.frombuffer(n, dtype=np.float64).reshape(shape), rows(cnt), rows(sums),
                        rows(sum2), rows(smallest), rows(largest))  # fmt: skip
