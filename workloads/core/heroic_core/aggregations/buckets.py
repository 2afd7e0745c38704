"""Bucket layout of sampling aggregations: which buckets a sample falls into (reference 6.2).

End strategy: bucket ``i`` is stamped ``S + s·(i+1)`` and covers ``(T - x, T]``; start strategy:
stamped ``S + s·i``, covers ``[T, T + x)``. Index arithmetic is vectorised with numpy. Floor
division is used where Java truncates: every place they differ yields an empty bucket range
either way. This module maps timestamps to bucket indexes only; it must not reduce values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from heroic_core.errors import RequestError
from heroic_core.model import DateRange

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

MAX_BUCKET_COUNT = 100_000
#: Most (bucket, sample) memberships one session may expand: per-pass work for the
#: reducible statistics, materialised pairs for quantile/rate/unique/cardinality.
MAX_PASS_MEMBERSHIPS = 500_000_000
MAX_PAIR_MEMBERSHIPS = 30_000_000
STRATEGIES = ("start", "end")


def format_range(range_: DateRange) -> str:
    """Upstream's ``DateRange.toString``: ``{yyyy-MM-dd HH:mm:ss.SSS}-{...}`` (UTC)."""

    def fmt(ms: int) -> str:
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"

    return "{" + fmt(range_.start) + "}-{" + fmt(range_.end) + "}"


def check_strategy(strategy: str) -> str:
    if strategy not in STRATEGIES:
        raise RequestError(f"bucket strategy must be 'start' or 'end', not {strategy!r}")
    return strategy


@dataclass(frozen=True, slots=True)
class Layout:
    """The buckets of one sampling session over a range."""

    offset: int  # range start S; timestamps are taken relative to it
    first: int  # timestamp of bucket 0
    size: int
    extent: int
    count: int
    end: bool  # end strategy (else start)

    def timestamps(self) -> Ints:
        return self.first + self.size * np.arange(self.count, dtype=np.int64)

    def bounds(self, ts: Ints) -> tuple[Ints, Ints]:
        """Per sample, the bucket index range ``[lo, hi)`` (clipped to ``[0, count]``)."""
        s, x = self.size, self.extent
        if self.end:
            a = ts - (self.offset + 1)
            lo, hi = a // s, (a + x) // s
        else:
            a = ts - self.offset
            lo, hi = (a + (s - x)) // s, (a + s) // s
        np.maximum(lo, 0, out=lo)
        np.minimum(hi, self.count, out=hi)
        return lo, hi

    def single(self, ts: Ints, *, trust_sorted: bool = False) -> tuple[Ints, Bools | None]:
        """For ``extent <= size``: each sample's only bucket and a validity mask.

        The mask is ``None`` when every sample lands in a bucket. With ``trust_sorted`` only
        the first and last sample are checked; the caller must detect out-of-range indexes
        (``bincount`` fails or grows) if the samples were not sorted after all.
        """
        if self.extent != self.size:
            lo, hi = self.bounds(ts)
            valid = lo < hi
            return lo, None if bool(valid.all()) else valid
        base = self.offset + 1 if self.end else self.offset
        idx = (ts - base) // self.size
        if trust_sorted and idx.shape[0] and idx[0] >= 0 and idx[-1] < self.count:
            return idx, None
        valid = idx.view(np.uint64) < np.uint64(self.count)
        return idx, None if bool(valid.all()) else valid

    def passes(
        self, ts: Ints, *, trust_sorted: bool = False
    ) -> Iterator[tuple[Ints, Bools | None]]:
        """Bucket assignments, one pass per bucket offset (a sample may hit several buckets).

        Each pass yields the bucket index of every sample and a mask of the samples that
        really belong there (``None`` = all).
        """
        if self.extent <= self.size:
            yield self.single(ts, trust_sorted=trust_sorted)
            return
        lo, hi = self.bounds(ts)
        width = hi - lo
        span = int(width.max()) if width.shape[0] else 0
        self._check_memberships(width, MAX_PASS_MEMBERSHIPS)
        for k in range(span):
            valid = width > k
            yield (lo + k if k else lo), (None if bool(valid.all()) else valid)

    def _check_memberships(self, width: Ints, limit: int) -> None:
        total = int(np.maximum(width, 0).sum())
        if total > limit:
            raise RequestError(
                f"size {self.size}, extent {self.extent}: samples would be placed in buckets "
                f"{total} times, more than the allowed {limit}; use a smaller extent"
            )

    def pairs(self, ts: Ints) -> tuple[Ints, Ints]:
        """All (bucket, sample) memberships sorted by bucket, then sample (feed order)."""
        if self.extent > self.size:
            lo, hi = self.bounds(ts)
            self._check_memberships(hi - lo, MAX_PAIR_MEMBERSHIPS)
        buckets: list[Ints] = []
        samples: list[Ints] = []
        index = np.arange(ts.shape[0], dtype=np.int64)
        for idx, valid in self.passes(ts):
            buckets.append(idx if valid is None else idx[valid])
            samples.append(index if valid is None else index[valid])
        if not buckets:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        b, i = np.concatenate(buckets), np.concatenate(samples)
        order = np.lexsort((i, b)) if len(buckets) > 1 else np.argsort(b, kind="stable")
        return b[order], i[order]


def bucket_count(range_: DateRange, size: int, strategy: str) -> int:
    """Number of buckets; Java long division (operands are non-negative here)."""
    diff = range_.end - range_.start
    if size <= 0:
        return 0
    return (diff + size) // size - 1 if strategy == "end" else diff // size


def make_layout(range_: DateRange, size: int, extent: int, strategy: str) -> Layout:
    """Set up buckets, or fail with upstream's ``range <range>, size <s>`` message followed by
    what is wrong and how to fix it."""
    count = bucket_count(range_, size, check_strategy(strategy))
    if count < 1 or count > MAX_BUCKET_COUNT:
        why = _too_few(range_, size) if count < 1 else _too_many(range_, size, count)
        raise RequestError(f"range {format_range(range_)}, size {size}: {why}")
    end = strategy == "end"
    first = range_.start + size if end else range_.start
    return Layout(range_.start, first, size, extent, count, end)


def _too_many(range_: DateRange, size: int, count: int) -> str:
    # Both strategies make floor(range / size) buckets, so this is the smallest size that fits.
    smallest = (range_.end - range_.start) // (MAX_BUCKET_COUNT + 1) + 1
    return (
        f"the aggregation would make {count} buckets, more than the limit of "
        f"{MAX_BUCKET_COUNT}; use a larger size (at least {smallest} ms, {_rounded_up(smallest)})"
        f" or a shorter range (at most {MAX_BUCKET_COUNT * size} ms at this size)"
    )


def _too_few(range_: DateRange, size: int) -> str:
    span = range_.end - range_.start  # the range as shifted to the size: may be empty
    at_most = f" (at most {span} ms)" if span > 0 else ""
    return (
        f"the range holds no whole bucket of this size; use a smaller size{at_most} or a "
        "longer range"
    )


_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))


def _rounded_up(ms: int) -> str:
    """``ms`` as a duration in the largest unit it reaches, rounded up (``25920`` → ``26s``)."""
    for suffix, unit in _UNITS:
        if ms >= unit:
            return f"{-(-ms // unit)}{suffix}"
    return f"{ms}ms"
