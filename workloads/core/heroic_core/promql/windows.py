"""Functions of range vectors (``rate(x[5m])``, ``max_over_time(...)``): for each series and
step, the samples in the closed window ``[t - range, t]`` (Prometheus 2's rule) give one value.

The cheap functions use prefix sums over the whole series (one pass however many steps); the
rest gather each step's window into a padded 2-D array, a chunk of steps at a time, so that
numpy does the per-window work. Semantics follow Prometheus' ``promql/functions.go``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from heroic_core.promql.errors import PromQLError
from heroic_core.promql.stats import quantile_rows, stdvar_rows
from heroic_core.promql.values import Floats, Mask, RawSeries, StepSeries, Times, without_name

#: Gathered cells per chunk (steps x longest window): bounds the 2-D arrays' memory.
_CHUNK_CELLS = 1 << 21


@dataclass(frozen=True, slots=True)
class RangeArgument:
    """A range vector as a function argument: its series and where each step's window ends."""

    series: list[RawSeries]
    end: Times
    range_ms: int


@dataclass(frozen=True, slots=True)
class Windows:
    """Where each step's window starts and ends in one series' samples."""

    series: RawSeries
    lo: Times
    hi: Times
    start: Times  # window start (ms), per step
    end: Times  # window end (ms), per step
    step_times: Times  # the evaluation time of each step (predict_linear's intercept)
    range_ms: int

    @property
    def count(self) -> Times:
        return self.hi - self.lo


def windows(series: RawSeries, end: Times, range_ms: int, step_times: Times) -> Windows:
    start = end - range_ms
    lo = np.searchsorted(series.times, start, side="left").astype(np.int64)
    hi = np.searchsorted(series.times, end, side="right").astype(np.int64)
    return Windows(series, lo, hi, start, end, step_times, range_ms)


def _gather(w: Windows) -> Iterator[tuple[slice, Floats, Times, Mask]]:
    """(steps, values, times, valid) per chunk of steps: row i holds step i's window, left
    aligned; cells past the window are invalid (values NaN, times 0)."""
    steps = len(w.lo)
    longest = int(w.count.max(initial=0))
    if longest == 0:
        return
    rows = max(1, _CHUNK_CELLS // longest)
    offsets = np.arange(longest, dtype=np.int64)
    values = np.append(w.series.values, np.nan)
    times = np.append(w.series.times, 0)
    sentinel = len(w.series.values)
    for first in range(0, steps, rows):
        part = slice(first, min(first + rows, steps))
        index = w.lo[part, None] + offsets[None, :]
        valid = index < w.hi[part, None]
        index = np.where(valid, index, sentinel)
        yield part, values[index], times[index], valid


def _per_window(w: Windows, fn: Callable[[Floats, Times, Mask, slice], Floats]) -> Floats:
    out = np.full(len(w.lo), np.nan)
    for part, values, times, valid in _gather(w):
        out[part] = fn(values, times, valid, part)
    return out


def _first_last(w: Windows) -> tuple[Floats, Floats, Times, Times]:
    v, t = w.series.values, w.series.times
    lo = np.minimum(w.lo, len(v) - 1)
    last = np.maximum(w.hi - 1, 0)
    return v[lo], v[last], t[lo], t[last]


def _prefix(indicator: Floats) -> Floats:
    """Prefix sums with a leading zero: sum of indicator[a:b] is p[b] - p[a]."""
    return np.concatenate(([0.0], np.cumsum(indicator)))


def _between_neighbours(w: Windows, per_pair: Floats) -> Floats:
    """Sum of ``per_pair[j]`` (a property of samples j-1 and j) over pairs inside each window."""
    p = _prefix(np.concatenate(([0.0], per_pair)))
    out: Floats = p[w.hi] - p[np.minimum(w.lo + 1, w.hi)]
    return out


def _extrapolated(w: Windows, *, counter: bool, rate: bool) -> tuple[Floats, Mask]:
    v = w.series.values
    first, last, t_first, t_last = _first_last(w)
    ok = w.count >= 2
    result = last - first
    if counter:
        prev, cur = v[:-1], v[1:]
        result = result + _between_neighbours(w, np.where(cur < prev, prev, 0.0))
    to_start = (t_first - w.start) / 1000.0
    to_end = (w.end - t_last) / 1000.0
    sampled = (t_last - t_first) / 1000.0
    with np.errstate(divide="ignore", invalid="ignore"):
        average = sampled / np.maximum(w.count - 1, 1)
        if counter:
            to_zero = sampled * (first / result)
            clamp = (result > 0) & (first >= 0) & (to_zero < to_start)
            to_start = np.where(clamp, to_zero, to_start)
        threshold = average * 1.1
        interval = sampled.copy()
        interval += np.where(to_start < threshold, to_start, average / 2)
        interval += np.where(to_end < threshold, to_end, average / 2)
        factor = interval / sampled
        if rate:
            factor = factor / (w.range_ms / 1000.0)
        return result * factor, ok


def _instant(w: Windows, *, rate: bool) -> tuple[Floats, Mask]:
    v, t = w.series.values, w.series.times
    last_i = np.maximum(w.hi - 1, 0)
    prev_i = np.maximum(w.hi - 2, 0)
    last, prev = v[last_i], v[prev_i]
    interval = (t[last_i] - t[prev_i]).astype(np.float64)
    ok = (w.count >= 2) & (interval != 0)
    result = np.where(last < prev, last, last - prev) if rate else last - prev
    if rate:
        with np.errstate(divide="ignore", invalid="ignore"):
            result = result / (interval / 1000.0)
    return result, ok


def _sum(w: Windows) -> Floats:
    p = _prefix(w.series.values)
    return p[w.hi] - p[w.lo]


def _changes(w: Windows) -> Floats:
    v = w.series.values
    prev, cur = v[:-1], v[1:]
    changed = (cur != prev) & ~(np.isnan(cur) & np.isnan(prev))
    return _between_neighbours(w, changed.astype(np.float64))


def _resets(w: Windows) -> Floats:
    v = w.series.values
    return _between_neighbours(w, (v[1:] < v[:-1]).astype(np.float64))


def _extreme(w: Windows, pick: np.ufunc) -> Floats:
    # fmax/fmin skip NaN unless every value is NaN, as Prometheus' loop does.
    return _per_window(w, lambda values, *_: pick.reduce(values, axis=1))


def _regression(values: Floats, times: Times, valid: Mask, origin: Times) -> tuple[Floats, Floats]:
    """(slope, intercept) per row, x in seconds from ``origin``; constant rows have slope 0."""
    n = valid.sum(axis=1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):  # rows of empty windows are dropped
        return _fit(values, times, valid, origin, n)


def _fit(
    values: Floats, times: Times, valid: Mask, origin: Times, n: Floats
) -> tuple[Floats, Floats]:
    x = np.where(valid, (times - origin[:, None]) / 1000.0, 0.0)
    y = np.where(valid, values, 0.0)
    mean_x, mean_y = x.sum(axis=1) / n, y.sum(axis=1) / n
    dx = np.where(valid, x - mean_x[:, None], 0.0)
    dy = np.where(valid, y - mean_y[:, None], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (dx * dy).sum(axis=1) / (dx * dx).sum(axis=1)
    first = values[:, 0]
    constant = (np.where(valid, values, first[:, None]) == first[:, None]).all(axis=1)
    slope = np.where(constant, np.where(np.isinf(first), np.nan, 0.0), slope)
    intercept = np.where(
        constant, np.where(np.isinf(first), np.nan, first), mean_y - slope * mean_x
    )
    return slope, intercept


def _holt_winters(values: Floats, valid: Mask, sf: float, tf: float) -> Floats:
    out = np.full(len(values), np.nan)
    for row in range(len(values)):
        samples = values[row][valid[row]]
        if len(samples) < 2:
            continue
        s0, s1, trend = 0.0, float(samples[0]), float(samples[1] - samples[0])
        for i in range(1, len(samples)):
            if i > 1:
                trend = tf * (s1 - s0) + (1 - tf) * trend
            x = sf * samples[i]
            s0, s1 = s1, x + (1 - sf) * (s1 + trend)
        out[row] = s1
    return out


def evaluate(  # noqa: PLR0911, PLR0912 - one case per function
    name: str, w: Windows, args: Sequence[Floats]
) -> tuple[Floats, Mask]:
    """``name`` over every step's window: (values, where a value exists). ``args`` holds the
    scalar arguments besides the range vector, one value per step."""
    has = w.count > 0
    count = w.count.astype(np.float64)
    match name:
        case "rate" | "increase" | "delta":
            return _extrapolated(w, counter=name != "delta", rate=name == "rate")
        case "irate" | "idelta":
            return _instant(w, rate=name == "irate")
        case "sum_over_time":
            return _sum(w), has
        case "count_over_time":
            return count, has
        case "avg_over_time":
            with np.errstate(divide="ignore", invalid="ignore"):
                return _sum(w) / count, has
        case "last_over_time":
            return _first_last(w)[1], has
        case "present_over_time":
            return np.ones(len(count)), has
        case "changes":
            return _changes(w), has
        case "resets":
            return _resets(w), has
        case "max_over_time":
            return _extreme(w, np.fmax), has
        case "min_over_time":
            return _extreme(w, np.fmin), has
        case "stdvar_over_time":
            return _per_window(w, lambda v, _t, ok, _p: stdvar_rows(v, ok)), has
        case "stddev_over_time":
            return _per_window(w, lambda v, _t, ok, _p: np.sqrt(stdvar_rows(v, ok))), has
        case "quantile_over_time":
            q = args[0]
            return _per_window(w, lambda v, _t, ok, p: quantile_rows(q[p], v, ok)), has
        case "deriv":

            def slope(v: Floats, t: Times, ok: Mask, _p: slice) -> Floats:
                return _regression(v, t, ok, t[:, 0])[0]

            return _per_window(w, slope), w.count >= 2
        case "predict_linear":
            duration = args[0]

            def predict(v: Floats, t: Times, ok: Mask, p: slice) -> Floats:
                s, i = _regression(v, t, ok, w.step_times[p])
                return s * duration[p] + i

            return _per_window(w, predict), w.count >= 2
        case "holt_winters":
            sf, tf = float(args[0][0]), float(args[1][0])
            if not 0 < sf < 1:
                raise PromQLError(f"invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:f}")
            if not 0 < tf < 1:
                raise PromQLError(f"invalid trend factor. Expected: 0 < tf < 1, got: {tf:f}")
            return _per_window(w, lambda v, _t, ok, _p: _holt_winters(v, ok, sf, tf)), w.count >= 2
    raise PromQLError(f"function {name!r} does not take a range vector")


#: Range functions that keep the metric name (Prometheus 2: last_over_time acts like offset).
KEEPS_NAME = frozenset({"last_over_time"})

RANGE_FUNCTIONS = frozenset(
    {
        "rate", "increase", "delta", "irate", "idelta", "sum_over_time", "count_over_time",
        "avg_over_time", "last_over_time", "present_over_time", "changes", "resets",
        "max_over_time", "min_over_time", "stdvar_over_time", "stddev_over_time",
        "quantile_over_time", "deriv", "predict_linear", "holt_winters",
    }
)  # fmt: skip


def apply(
    name: str,
    *,
    matrix: Sequence[RawSeries],
    end: Times,
    range_ms: int,
    step_times: Times,
    args: Sequence[Floats],
) -> list[StepSeries]:
    """``name`` applied to every series of a range vector whose windows end at ``end``."""
    out = []
    for series in matrix:
        if len(series.times) == 0:
            continue
        values, ok = evaluate(name, windows(series, end, range_ms, step_times), args)
        if ok.any():
            labels = series.labels if name in KEEPS_NAME else without_name(series.labels)
            out.append(StepSeries(labels, values, ok))
    return out
