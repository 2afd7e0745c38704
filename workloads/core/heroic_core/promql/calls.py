"""Function calls of PromQL: the argument shapes of each function, dispatched to ``windows``
(range vectors), ``functions`` (instant vectors), ``histograms``, and the few that read the
expression itself: ``absent``, ``absent_over_time`` (labels from the selector's matchers) and
``timestamp`` (a selector's own sample times). A function we do not evaluate is an error
naming it, never a wrong answer."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import promql_parser as pp

from heroic_core.promql import functions, histograms, windows
from heroic_core.promql.errors import PromQLUnsupportedError
from heroic_core.promql.names import NAME_LABEL
from heroic_core.promql.options import EngineOptions
from heroic_core.promql.parse import unwrap_parens
from heroic_core.promql.selectors import LabelMatcher, MatchOp
from heroic_core.promql.values import (
    Floats,
    Mask,
    Scalar,
    StepSeries,
    Times,
    Value,
    Vector,
    merge_same_labels,
)
from heroic_core.promql.windows import RangeArgument


class Evaluator(Protocol):
    """What calls need of the evaluation (``engine.Evaluation``)."""

    options: EngineOptions

    async def eval(self, expr: Any, steps: Times) -> Value: ...
    async def vector(self, expr: Any, steps: Times) -> list[StepSeries]: ...
    async def scalar(self, expr: Any, steps: Times) -> Floats: ...
    async def string(self, expr: Any, steps: Times) -> str: ...
    async def range_argument(self, expr: Any, steps: Times) -> RangeArgument: ...
    async def instant_selector(
        self, selector: Any, steps: Times, *, sample_times: bool = False
    ) -> list[StepSeries]: ...
    def matchers(self, selector: Any) -> list[LabelMatcher]: ...


#: Functions of native histograms and experimental ones; refused by name.
_UNSUPPORTED = {
    "histogram_count": "native histograms do not exist in Heroic's data model",
    "histogram_sum": "native histograms do not exist in Heroic's data model",
    "histogram_avg": "native histograms do not exist in Heroic's data model",
    "histogram_fraction": "native histograms do not exist in Heroic's data model",
    "histogram_stddev": "native histograms do not exist in Heroic's data model",
    "histogram_stdvar": "native histograms do not exist in Heroic's data model",
    "info": "it is experimental",
    "sort_by_label": "it is experimental",
    "sort_by_label_desc": "it is experimental",
    "mad_over_time": "it is experimental",
    "ts_of_max_over_time": "it is experimental",
    "ts_of_min_over_time": "it is experimental",
    "ts_of_last_over_time": "it is experimental",
    "first_over_time": "it is experimental",
}


def _absent_labels(evaluation: Evaluator, expr: Any) -> tuple[tuple[str, str], ...]:
    """Prometheus' labels of ``absent(x{a="b"})``: the equality matchers, except the name;
    a label matched twice is left out."""
    expr = unwrap_parens(expr)
    if isinstance(expr, pp.MatrixSelector):
        expr = expr.vector_selector
    if not isinstance(expr, pp.VectorSelector):
        return ()
    labels: dict[str, str] = {}
    seen: set[str] = set()
    for m in evaluation.matchers(expr):
        if m.name == NAME_LABEL:
            continue
        if m.op is MatchOp.EQUAL and m.name not in seen:
            labels[m.name] = m.value
            seen.add(m.name)
        else:
            labels.pop(m.name, None)
    return tuple(sorted((k, v) for k, v in labels.items() if v))


def _absent(evaluation: Evaluator, arg: Any, present: Sequence[Mask], steps: int) -> Vector:
    anywhere = np.zeros(steps, dtype=bool)
    for mask in present:
        anywhere |= mask
    if anywhere.all():
        return Vector([])
    return Vector([StepSeries(_absent_labels(evaluation, arg), np.ones(steps), ~anywhere)])


async def _range_call(evaluation: Evaluator, name: str, args: list[Any], steps: Times) -> Vector:
    index = 1 if name == "quantile_over_time" else 0
    argument = await evaluation.range_argument(args[index], steps)
    scalars = [await evaluation.scalar(a, steps) for i, a in enumerate(args) if i != index]
    series = windows.apply(
        name,
        matrix=argument.series,
        end=argument.end,
        range_ms=argument.range_ms,
        step_times=steps,
        args=scalars,
    )
    return Vector(merge_same_labels(series))


async def _optional_scalar(
    evaluation: Evaluator, args: list[Any], index: int, steps: Times
) -> Floats | None:
    return await evaluation.scalar(args[index], steps) if len(args) > index else None


async def call(  # noqa: PLR0911, PLR0912, PLR0915 - one branch per function family
    evaluation: Evaluator, name: str, args: list[Any], steps: Times
) -> Value:
    """The value of ``name(args...)`` at every step."""
    if name in _UNSUPPORTED:
        raise PromQLUnsupportedError(f"function {name}() is not supported: {_UNSUPPORTED[name]}")
    if name == "double_exponential_smoothing":
        name = "holt_winters"  # Prometheus 3's name for the same function
    if name in windows.RANGE_FUNCTIONS:
        return await _range_call(evaluation, name, args, steps)
    n = len(steps)
    match name:
        case "absent_over_time":
            argument = await evaluation.range_argument(args[0], steps)
            masks = [
                windows.windows(s, argument.end, argument.range_ms, steps).count > 0
                for s in argument.series
            ]
            return _absent(evaluation, args[0], masks, n)
        case "absent":
            vector = await evaluation.vector(args[0], steps)
            return _absent(evaluation, args[0], [s.present for s in vector], n)
        case "timestamp":
            arg = unwrap_parens(args[0])
            if isinstance(arg, pp.VectorSelector):
                found = await evaluation.instant_selector(arg, steps, sample_times=True)
            else:
                found = [
                    StepSeries(s.labels, steps / 1000.0, s.present)
                    for s in await evaluation.vector(arg, steps)
                ]
            return Vector(merge_same_labels(functions.drop_names(found)))
        case "time":
            return Scalar(steps / 1000.0)
        case "pi":
            return Scalar(np.full(n, math.pi))
        case "scalar":
            return Scalar(functions.scalar_of(await evaluation.vector(args[0], steps), n))
        case "vector":
            values = await evaluation.scalar(args[0], steps)
            return Vector([StepSeries((), values, np.ones(n, dtype=bool))])
        case "sort" | "sort_desc":
            vector = await evaluation.vector(args[0], steps)
            return Vector(functions.sort_vector(vector, name == "sort_desc"))
        case "round":
            vector = await evaluation.vector(args[0], steps)
            to_nearest = await _optional_scalar(evaluation, args, 1, steps)
            return Vector(merge_same_labels(functions.round_(vector, to_nearest)))
        case "clamp" | "clamp_min" | "clamp_max":
            vector = await evaluation.vector(args[0], steps)
            first = await evaluation.scalar(args[1], steps)
            second = await _optional_scalar(evaluation, args, 2, steps)
            low, high = {
                "clamp": (first, second),
                "clamp_min": (first, None),
                "clamp_max": (None, first),
            }[name]
            return Vector(merge_same_labels(functions.clamp(vector, low, high)))
        case "label_replace":
            vector = await evaluation.vector(args[0], steps)
            dst, replacement, src, regex = [await evaluation.string(a, steps) for a in args[1:5]]
            legacy = evaluation.options.legacy_names
            result = functions.label_replace(vector, dst, replacement, src, regex, legacy=legacy)
            return Vector(merge_same_labels(result))
        case "label_join":
            vector = await evaluation.vector(args[0], steps)
            dst, separator, *sources = [await evaluation.string(a, steps) for a in args[1:]]
            legacy = evaluation.options.legacy_names
            joined = functions.label_join(vector, dst, separator, sources, legacy=legacy)
            return Vector(merge_same_labels(joined))
        case "histogram_quantile":
            q = await evaluation.scalar(args[0], steps)
            vector = await evaluation.vector(args[1], steps)
            return Vector(merge_same_labels(histograms.histogram_quantile(q, vector)))
    if name in functions.MATH:
        vector = await evaluation.vector(args[0], steps)
        return Vector(merge_same_labels(functions.math_function(name, vector)))
    if name in functions.DATE_FUNCTIONS:
        if args:
            vector = await evaluation.vector(args[0], steps)
        else:
            vector = functions.time_vector(steps)
        return Vector(merge_same_labels(functions.date_function(name, vector)))
    raise PromQLUnsupportedError(f"function {name}() is not supported")
