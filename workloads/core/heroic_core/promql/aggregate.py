"""PromQL aggregation operators (``sum by (job) (...)``) over every step at once.

Members of a group are stacked into a (members x steps) array with a presence mask, so each
operator is a reduction along the first axis. ``topk``/``bottomk`` keep the members' own label
sets, as Prometheus does; ``count_values`` makes one series per distinct value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np

from heroic_core.promql.errors import PromQLError, PromQLExecutionError, PromQLUnsupportedError
from heroic_core.promql.names import NAME_LABEL, is_valid_label_name
from heroic_core.promql.stats import quantile_rows, stdvar_rows
from heroic_core.promql.values import (
    Floats,
    Labels,
    Mask,
    StepSeries,
    drop,
    format_value,
    keep_only,
)


def group_labels(labels: Labels, grouping: Sequence[str], without: bool) -> Labels:
    if without:
        return drop(labels, [*grouping, NAME_LABEL])
    return keep_only(labels, grouping)


def _groups(
    vector: Sequence[StepSeries], grouping: Sequence[str], without: bool
) -> dict[Labels, list[StepSeries]]:
    groups: dict[Labels, list[StepSeries]] = {}
    for series in vector:
        groups.setdefault(group_labels(series.labels, grouping, without), []).append(series)
    return groups


def _stack(members: Sequence[StepSeries]) -> tuple[Floats, Mask]:
    values = np.stack([m.values for m in members])
    present = np.stack([m.present for m in members])
    return values, present


def _reduce(  # noqa: PLR0911 - one reduction per operator
    op: str, values: Floats, present: Mask, param: Floats | None
) -> Floats:
    count = present.sum(axis=0)
    masked = np.where(present, values, np.nan)
    match op:
        case "sum":
            return cast(Floats, np.where(present, values, 0.0).sum(axis=0))
        case "avg":
            with np.errstate(invalid="ignore", divide="ignore"):
                return cast(Floats, np.where(present, values, 0.0).sum(axis=0) / count)
        case "count":
            return cast(Floats, count.astype(np.float64))
        case "group":
            return np.ones(values.shape[1])
        case "max":
            return cast(Floats, np.fmax.reduce(masked, axis=0))
        case "min":
            return cast(Floats, np.fmin.reduce(masked, axis=0))
        case "stdvar":
            return stdvar_rows(values.T, present.T)
        case "stddev":
            return np.sqrt(stdvar_rows(values.T, present.T))
        case "quantile":
            assert param is not None  # noqa: S101 - the parser requires the parameter
            return quantile_rows(param, values.T, present.T)
    raise PromQLUnsupportedError(f"aggregation {op!r} is not supported")


def _top(op: str, members: list[StepSeries], k: Floats) -> list[StepSeries]:
    values, present = _stack(members)
    # NaN ranks last for both topk and bottomk, absent members after everything.
    key = np.where(np.isnan(values), -np.inf, values if op == "topk" else -values)
    order = np.lexsort((np.arange(len(members))[:, None].repeat(values.shape[1], 1), -key,
                        ~present), axis=0)  # fmt: skip
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(len(members))[:, None], axis=0)
    chosen = present & (rank < k[None, :])
    return [
        StepSeries(m.labels, m.values, chosen[i]) for i, m in enumerate(members) if chosen[i].any()
    ]


def _count_values(
    vector: Sequence[StepSeries],
    label: str,
    grouping: Sequence[str],
    without: bool,
    legacy: bool,
) -> list[StepSeries]:
    if not is_valid_label_name(label, legacy=legacy):
        raise PromQLExecutionError(f"invalid label name {label!r}")
    steps = len(vector[0].values) if vector else 0
    counts: dict[Labels, Floats] = {}
    for series in vector:
        for step in np.flatnonzero(series.present):
            base = dict(series.labels)
            base[label] = format_value(float(series.values[step]))
            grouped = [*grouping, label] if not without else list(grouping)
            key = group_labels(tuple(sorted(base.items())), grouped, without)
            counts.setdefault(key, np.zeros(steps))[step] += 1
    return [StepSeries(k, v, v > 0) for k, v in counts.items()]


def aggregate(
    op: str,
    vector: Sequence[StepSeries],
    grouping: Sequence[str],
    without: bool,
    param: Floats | str | None,
    *,
    legacy: bool = False,
) -> list[StepSeries]:
    """The result series of aggregation ``op``; ``param`` is the scalar (topk, bottomk,
    quantile, per step) or string (count_values) parameter."""
    if op == "count_values":
        assert isinstance(param, str)  # noqa: S101 - the parser checks the type
        return _count_values(vector, param, grouping, without, legacy)
    if op in ("limitk", "limit_ratio"):
        raise PromQLUnsupportedError(f"aggregation {op!r} (experimental) is not supported")
    if isinstance(param, str):
        raise PromQLError(f"aggregation {op!r} takes a number, not a string")
    out = []
    for labels, members in _groups(vector, grouping, without).items():
        if op in ("topk", "bottomk"):
            assert param is not None  # noqa: S101 - the parser requires the parameter
            if not np.all(np.abs(param) < 2**63):
                raise PromQLError(f"Scalar value {param.max()} overflows int64")
            out += _top(op, members, np.trunc(param))
            continue
        values, present = _stack(members)
        result = _reduce(op, values, present, param)
        any_present = cast(Mask, present.any(axis=0))  # numpy 2's stubs: bool | array
        if any_present.any():
            out.append(StepSeries(labels, result, any_present))
    return out
