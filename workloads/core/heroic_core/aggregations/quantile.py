"""Biased-quantile sketch used by ``quantile`` (Cormode/Korn/Muthukrishnan/Srivastava, "CKMS").

Behaves like upstream's ``QuantileBucket`` (itself adapted from Hadoop): values are buffered
in batches of 500, each batch is sorted and merged into the sample list, which is then
compressed against the rank error bound ``f(r, n)``. Doubles follow IEEE rules (division by
zero gives ±inf/NaN rather than raising), because ``q`` may be 0 or 1. Pure computation; no
bucketing here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

BATCH = 500


def _div(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.inf if a > 0 else -math.inf


class _Item:
    __slots__ = ("delta", "g", "value")

    def __init__(self, value: float, delta: int) -> None:
        self.value = value
        self.delta = delta
        self.g = 1


class QuantileSketch:
    """Streaming estimate of one quantile ``q`` with relative rank error ``error``."""

    def __init__(self, quantile: float, error: float) -> None:
        self.quantile = quantile
        self.error = error
        self.count = 0
        self._samples: list[_Item] = []

    def _allowable_error(self, rank: int) -> float:
        size = len(self._samples)
        if rank <= self.quantile * size:
            error = _div(2.0 * self.error * (size - rank), 1.0 - self.quantile)
        else:
            error = _div(2.0 * self.error * rank, self.quantile)
        limit = float(size + 1)
        return error if error < limit else limit

    def _insert_sorted(self, batch: list[float]) -> None:
        samples = self._samples
        start = 0
        if not samples:
            samples.append(_Item(batch[0], 0))
            start = 1
        cursor, prev = 1, samples[0]
        for value in batch[start:]:
            while cursor < len(samples) and prev.value < value:
                prev = samples[cursor]
                cursor += 1
            if prev.value > value:
                cursor -= 1
            if cursor - 1 == 0 or cursor == len(samples):
                delta = 0
            else:
                delta = math.floor(self._allowable_error(cursor)) - 1
            prev = _Item(value, delta)
            samples.insert(cursor, prev)
            cursor += 1

    def _compress(self) -> None:
        samples = self._samples
        if len(samples) < 2:
            return
        cursor, nxt = 1, samples[0]
        while cursor < len(samples):
            prev, nxt = nxt, samples[cursor]
            cursor += 1
            if prev.g + nxt.g + nxt.delta > self._allowable_error(cursor - 1):
                continue
            nxt.g += prev.g
            del samples[cursor - 2]
            cursor -= 1

    def add_all(self, values: npt.NDArray[np.float64] | Iterable[float]) -> None:
        """Feed values in order; every 500 values are merged as one sorted batch."""
        array = np.asarray(values, dtype=np.float64)
        for start in range(0, array.shape[0], BATCH):
            batch = np.sort(array[start : start + BATCH]).tolist()
            self.count += len(batch)
            self._insert_sorted(batch)
            self._compress()

    def value(self) -> float:
        """The estimate; NaN when no value was added (upstream throws here, see module doc)."""
        samples = self._samples
        if not samples:
            return math.nan
        rank_min = 0
        desired = int(self.quantile * self.count)
        for i in range(1, len(samples)):
            prev, nxt = samples[i - 1], samples[i]
            rank_min += prev.g
            if rank_min + nxt.g + nxt.delta > desired + self._allowable_error(i) / 2:
                return prev.value
        return samples[-1].value
