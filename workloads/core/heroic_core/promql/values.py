"""The values a PromQL expression evaluates to, over all the steps of a query at once.

An instant vector is a list of ``StepSeries``: one label set and, per evaluation step, a value
and whether the series has a sample there (a series can come and go between steps). A range
vector is a list of ``RawSeries``: label set and the samples themselves. Scalars have a value
at every step. Arrays are numpy so that an operation runs once per series, not once per step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from heroic_core.promql.errors import PromQLExecutionError
from heroic_core.promql.names import NAME_LABEL

Floats = npt.NDArray[np.float64]
Times = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Labels = tuple[tuple[str, str], ...]


def labels_from(mapping: Mapping[str, str]) -> Labels:
    """A label set in its canonical form: sorted, empty values dropped."""
    return tuple(sorted((k, v) for k, v in mapping.items() if v != ""))


def without_name(labels: Labels) -> Labels:
    return tuple(item for item in labels if item[0] != NAME_LABEL)


def label_value(labels: Labels, name: str) -> str:
    for key, value in labels:
        if key == name:
            return value
    return ""


def keep_only(labels: Labels, names: Iterable[str]) -> Labels:
    wanted = set(names)
    return tuple(item for item in labels if item[0] in wanted)


def drop(labels: Labels, names: Iterable[str]) -> Labels:
    unwanted = set(names)
    return tuple(item for item in labels if item[0] not in unwanted)


def format_value(value: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'f', -1, 64)``, as Prometheus writes sample values and
    ``count_values`` labels (``1``, ``0.5``, ``+Inf``, ``NaN``). ``repr`` gives the shortest
    round-trip digits fast; only its exponent form needs numpy's positional rendering."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    text = repr(value)
    if "e" in text:
        return np.format_float_positional(value, trim="-")
    return text[:-2] if text.endswith(".0") else text


@dataclass(slots=True)
class StepSeries:
    """One series of an instant vector across every step."""

    labels: Labels
    values: Floats
    present: Mask


@dataclass(slots=True)
class RawSeries:
    """One series of a range vector: samples sorted by time (ms)."""

    labels: Labels
    times: Times
    values: Floats


@dataclass(slots=True)
class Scalar:
    """A scalar: one value per step."""

    values: Floats


@dataclass(slots=True)
class String:
    value: str


@dataclass(slots=True)
class Vector:
    """An instant vector over the steps."""

    series: list[StepSeries]


@dataclass(slots=True)
class Matrix:
    """A range vector (a selector's samples, or a subquery's)."""

    series: list[RawSeries]


Value = Vector | Matrix | Scalar | String


def merge_same_labels(series: Sequence[StepSeries]) -> list[StepSeries]:
    """One series per label set; two present at the same step is Prometheus' error."""
    merged: dict[Labels, StepSeries] = {}
    for s in series:
        seen = merged.get(s.labels)
        if seen is None:
            merged[s.labels] = s
            continue
        if (seen.present & s.present).any():
            raise PromQLExecutionError("vector cannot contain metrics with the same labelset")
        merged[s.labels] = StepSeries(
            s.labels, np.where(s.present, s.values, seen.values), seen.present | s.present
        )
    return list(merged.values())
