"""PromQL binary operators: arithmetic, comparisons (filtering or ``bool``) and the set
operators, between scalars and vectors, with ``on``/``ignoring`` and ``group_left``/
``group_right`` vector matching, following Prometheus' ``VectorBinop`` per step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from heroic_core.promql.errors import PromQLExecutionError, PromQLUnsupportedError
from heroic_core.promql.names import NAME_LABEL
from heroic_core.promql.values import (
    Floats,
    Labels,
    Mask,
    StepSeries,
    drop,
    keep_only,
    label_value,
    without_name,
)

ARITHMETIC: dict[str, Callable[[Floats, Floats], Floats]] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "%": np.fmod,  # Go's math.Mod: the sign of the dividend
    "^": np.power,
    "atan2": np.arctan2,
}
COMPARISON: dict[str, Callable[[Floats, Floats], Mask]] = {
    "==": np.equal,
    "!=": np.not_equal,
    ">": np.greater,
    "<": np.less,
    ">=": np.greater_equal,
    "<=": np.less_equal,
}
SET_OPERATORS = frozenset({"and", "or", "unless"})


@dataclass(frozen=True, slots=True)
class Matching:
    """The vector matching of one binary expression."""

    card: str  # "one-to-one", "many-to-one", "one-to-many", "many-to-many"
    on: bool
    labels: tuple[str, ...]
    include: tuple[str, ...]
    return_bool: bool

    def signature(self, labels: Labels) -> Labels:
        if self.on:
            return keep_only(labels, self.labels)
        return drop(labels, [*self.labels, NAME_LABEL])


def compute(op: str, lhs: Floats, rhs: Floats) -> tuple[Floats, Mask]:
    """(value, keep) of ``lhs op rhs``; comparisons keep where true and yield the lhs."""
    with np.errstate(all="ignore"):
        if op in ARITHMETIC:
            result = ARITHMETIC[op](lhs, rhs)
            return result, np.ones(result.shape, dtype=bool)
        if op in COMPARISON:
            return lhs, COMPARISON[op](lhs, rhs)
    raise PromQLUnsupportedError(f"binary operator {op!r} is not supported")


def scalar_scalar(op: str, lhs: Floats, rhs: Floats) -> Floats:
    value, keep = compute(op, lhs, rhs)
    return keep.astype(np.float64) if op in COMPARISON else value


def vector_scalar(
    op: str, vector: Sequence[StepSeries], scalar: Floats, *, scalar_left: bool, return_bool: bool
) -> list[StepSeries]:
    out = []
    for series in vector:
        lhs, rhs = (scalar, series.values) if scalar_left else (series.values, scalar)
        value, keep = compute(op, lhs, rhs)
        labels = series.labels
        if op in COMPARISON:
            value = series.values  # the vector's own value, on either side
            if return_bool:
                value, keep, labels = (
                    keep.astype(np.float64),
                    np.ones_like(keep),
                    without_name(labels),
                )
        else:
            labels = without_name(labels)
        present = series.present & keep
        if present.any():
            out.append(StepSeries(labels, value, present))
    return out


def _by_signature(
    vector: Sequence[StepSeries], matching: Matching
) -> dict[Labels, list[StepSeries]]:
    groups: dict[Labels, list[StepSeries]] = {}
    for series in vector:
        groups.setdefault(matching.signature(series.labels), []).append(series)
    return groups


def _present_any(members: Sequence[StepSeries], steps: int) -> Mask:
    present = np.zeros(steps, dtype=bool)
    for member in members:
        present |= member.present
    return present


def set_operation(
    op: str, lhs: Sequence[StepSeries], rhs: Sequence[StepSeries], matching: Matching, steps: int
) -> list[StepSeries]:
    right = {sig: _present_any(m, steps) for sig, m in _by_signature(rhs, matching).items()}
    if op == "or":
        left = {sig: _present_any(m, steps) for sig, m in _by_signature(lhs, matching).items()}
        out = list(lhs)
        for series in rhs:
            taken = left.get(matching.signature(series.labels))
            present = series.present if taken is None else series.present & ~taken
            if present.any():
                out.append(StepSeries(series.labels, series.values, present))
        return out
    out = []
    nowhere = np.zeros(steps, dtype=bool)
    for series in lhs:
        other = right.get(matching.signature(series.labels), nowhere)
        present = series.present & (other if op == "and" else ~other)
        if present.any():
            out.append(StepSeries(series.labels, series.values, present))
    return out


def _result_labels(many: Labels, one: Labels, op: str, matching: Matching) -> Labels:
    labels = dict(many)
    if op in ARITHMETIC or matching.return_bool:
        labels.pop(NAME_LABEL, None)
    if matching.card == "one-to-one":
        if matching.on:
            labels = {k: v for k, v in labels.items() if k in matching.labels}
        else:
            for name in matching.labels:
                labels.pop(name, None)
    for name in matching.include:
        value = label_value(one, name)
        if value:
            labels[name] = value
        else:
            labels.pop(name, None)
    return tuple(sorted(labels.items()))


def _merge_one_side(
    groups: dict[Labels, list[StepSeries]], steps: int, side: str
) -> dict[Labels, tuple[StepSeries, Floats, Mask]]:
    """Per signature, the one side's value at each step; two of its series present at one
    step is Prometheus' many-to-many error."""
    merged = {}
    for sig, members in groups.items():
        values, present = np.zeros(steps), np.zeros(steps, dtype=bool)
        for member in members:
            if (present & member.present).any():
                raise PromQLExecutionError(
                    f"found duplicate series for the match group {_show(sig)} on the {side} "
                    "hand-side of the operation; many-to-many matching not allowed: matching "
                    "labels must be unique on one side"
                )
            values = np.where(member.present, member.values, values)
            present |= member.present
        merged[sig] = (members[0], values, present)
    return merged


def _show(labels: Labels) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in labels) + "}"


def vector_vector(
    op: str, lhs: Sequence[StepSeries], rhs: Sequence[StepSeries], matching: Matching, steps: int
) -> list[StepSeries]:
    """Arithmetic or comparison between two vectors with ``matching``."""
    swapped = matching.card == "one-to-many"
    many, one = (rhs, lhs) if swapped else (lhs, rhs)
    ones = _merge_one_side(_by_signature(one, matching), steps, "left" if swapped else "right")
    out: list[StepSeries] = []
    seen: dict[Labels, Mask] = {}
    for series in many:
        sig = matching.signature(series.labels)
        if sig not in ones:
            continue
        other, other_values, other_present = ones[sig]
        both = series.present & other_present
        if not both.any():
            continue
        left, right = (other_values, series.values) if swapped else (series.values, other_values)
        value, keep = compute(op, left, right)
        if matching.return_bool:
            value, keep = keep.astype(np.float64), np.ones_like(keep)
        present = both & keep
        if not present.any():
            continue
        labels = _result_labels(series.labels, other.labels, op, matching)
        key = sig if matching.card == "one-to-one" else (*sig, *labels)
        if key in seen and (seen[key] & present).any():
            raise PromQLExecutionError(
                "multiple matches for labels: many-to-one matching must be explicit "
                "(group_left/group_right)"
                if matching.card == "one-to-one"
                else "multiple matches for labels: grouping labels must ensure unique matches"
            )
        seen[key] = seen.get(key, np.zeros(steps, dtype=bool)) | present
        out.append(StepSeries(labels, value, present))
    return out
