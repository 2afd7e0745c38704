"""PromQL functions of instant vectors and scalars (math, clamping, dates, labels, sorting),
per Prometheus' ``promql/functions.go``. Range-vector functions are in ``windows``; the
engine handles the few that need the expression itself (``absent``, ``timestamp``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import numpy as np

from heroic_core.promql.errors import PromQLExecutionError
from heroic_core.promql.names import is_valid_label_name
from heroic_core.promql.values import Floats, StepSeries, Times, without_name

MATH: dict[str, Callable[[Floats], Floats]] = {
    "abs": np.abs,
    "ceil": np.ceil,
    "floor": np.floor,
    "exp": np.exp,
    "ln": np.log,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "sgn": np.sign,
    "acos": np.arccos,
    "acosh": np.arccosh,
    "asin": np.arcsin,
    "asinh": np.arcsinh,
    "atan": np.arctan,
    "atanh": np.arctanh,
    "cos": np.cos,
    "cosh": np.cosh,
    "sin": np.sin,
    "sinh": np.sinh,
    "tan": np.tan,
    "tanh": np.tanh,
    "deg": np.degrees,
    "rad": np.radians,
}

_DATE_PARTS: dict[str, Callable[[datetime], int]] = {
    "minute": lambda d: d.minute,
    "hour": lambda d: d.hour,
    "day_of_month": lambda d: d.day,
    "day_of_week": lambda d: (d.weekday() + 1) % 7,  # Sunday is 0, as Go's Weekday
    "day_of_year": lambda d: d.timetuple().tm_yday,
    "days_in_month": lambda d: _days_in_month(d),  # noqa: PLW0108 - defined below
    "month": lambda d: d.month,
    "year": lambda d: d.year,
}
DATE_FUNCTIONS = frozenset(_DATE_PARTS)


def _days_in_month(d: datetime) -> int:
    nxt = (
        d.replace(year=d.year + 1, month=1, day=1)
        if d.month == 12
        else d.replace(month=d.month + 1, day=1)
    )
    return (nxt - d.replace(day=1)).days


def drop_names(vector: Sequence[StepSeries]) -> list[StepSeries]:
    return [StepSeries(without_name(s.labels), s.values, s.present) for s in vector]


def _map(vector: Sequence[StepSeries], fn: Callable[[Floats], Floats]) -> list[StepSeries]:
    with np.errstate(all="ignore"):
        return [StepSeries(without_name(s.labels), fn(s.values), s.present) for s in vector]


def math_function(name: str, vector: Sequence[StepSeries]) -> list[StepSeries]:
    return _map(vector, MATH[name])


def round_(vector: Sequence[StepSeries], to_nearest: Floats | None) -> list[StepSeries]:
    inverse = 1.0 / (np.ones(1) if to_nearest is None else to_nearest)
    return _map(vector, lambda v: np.floor(v * inverse + 0.5) / inverse)


def clamp(
    vector: Sequence[StepSeries], low: Floats | None, high: Floats | None
) -> list[StepSeries]:
    out = []
    with np.errstate(invalid="ignore"):
        for series in vector:
            values = series.values
            present = series.present
            if low is not None and high is not None:
                present = present & ~(high < low)  # clamp with max < min is empty
            if high is not None:
                values = np.where(np.isnan(values), values, np.minimum(high, values))
            if low is not None:
                values = np.where(np.isnan(values), values, np.maximum(low, values))
            if present.any():
                out.append(StepSeries(without_name(series.labels), values, present))
    return out


def date_function(name: str, vector: Sequence[StepSeries]) -> list[StepSeries]:
    part = _DATE_PARTS[name]

    def apply(values: Floats) -> Floats:
        out = np.full(len(values), np.nan)
        for i, value in enumerate(values):
            if np.isfinite(value):
                out[i] = part(datetime.fromtimestamp(int(value), UTC))
        return out

    return _map(vector, apply)


def time_vector(step_times: Times) -> list[StepSeries]:
    """``vector(time())``: what the date functions read without an argument."""
    return [StepSeries((), step_times / 1000.0, np.ones(len(step_times), dtype=bool))]


def scalar_of(vector: Sequence[StepSeries], steps: int) -> Floats:
    """``scalar(v)``: the value of the only series present at a step, else NaN."""
    count = np.zeros(steps, dtype=np.int64)
    values = np.full(steps, np.nan)
    for series in vector:
        count += series.present
        values = np.where(series.present, series.values, values)
    return np.where(count == 1, values, np.nan)


def _check_label(name: str, function: str, legacy: bool) -> None:
    if not is_valid_label_name(name, legacy=legacy):
        raise PromQLExecutionError(f"invalid destination label name in {function}(): {name}")


def _expand(template: str, match: re.Match[str]) -> str:
    """Go's ``Regexp.Expand``: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``; a reference
    to a group that does not exist expands to nothing."""

    def group(ref: str) -> str:
        try:
            value = match.group(int(ref) if ref.isdigit() else ref)
        except IndexError:  # no such group: Go expands it to nothing
            return ""
        return value or ""

    return re.sub(
        r"\$(\$|\{([a-zA-Z0-9_]+)\}|([a-zA-Z0-9_]+))",
        lambda m: "$" if m.group(1) == "$" else group(m.group(2) or m.group(3)),
        template,
    )


def label_replace(
    vector: Sequence[StepSeries],
    dst: str,
    replacement: str,
    src: str,
    regex: str,
    *,
    legacy: bool = False,
) -> list[StepSeries]:
    try:
        pattern = re.compile(regex, re.DOTALL)
    except re.error as exc:
        raise PromQLExecutionError(
            f"invalid regular expression in label_replace(): {regex}: {exc}"
        ) from None
    _check_label(dst, "label_replace", legacy)
    out = []
    for series in vector:
        match = pattern.fullmatch(dict(series.labels).get(src, ""))
        out.append(
            series if match is None else _with_label(series, dst, _expand(replacement, match))
        )
    return out


def label_join(
    vector: Sequence[StepSeries],
    dst: str,
    separator: str,
    sources: Sequence[str],
    *,
    legacy: bool = False,
) -> list[StepSeries]:
    _check_label(dst, "label_join", legacy)
    out = []
    for series in vector:
        labels = dict(series.labels)
        out.append(_with_label(series, dst, separator.join(labels.get(s, "") for s in sources)))
    return out


def _with_label(series: StepSeries, name: str, value: str) -> StepSeries:
    """``series`` with label ``name`` set to ``value`` (removed when empty)."""
    labels = dict(series.labels)
    if value:
        labels[name] = value
    else:
        labels.pop(name, None)
    return StepSeries(tuple(sorted(labels.items())), series.values, series.present)


def sort_vector(vector: Sequence[StepSeries], descending: bool) -> list[StepSeries]:
    """Order by value at the (single) step of an instant query; NaN last, as Prometheus."""

    def key(series: StepSeries) -> tuple[bool, float]:
        value = float(series.values[0])
        return (np.isnan(value), -value if descending else value)

    return sorted(vector, key=key)
