"""Evaluation of a parsed PromQL expression over all the steps of a query at once.

Prometheus' rules (version 2): an instant selector takes, per step, the newest sample in
``[t - lookback, t]``; a range window is ``[t - range, t]``; ``offset`` and ``@`` move the
evaluation time of a selector or subquery; subquery steps are aligned to multiples of their
resolution (default: the global evaluation interval, 1m). Series of one result with the
same label set are merged across steps, and two at one step are an error, as Prometheus'.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import promql_parser as pp

from heroic_core.promql import aggregate, binary, calls, windows
from heroic_core.promql.errors import PromQLError, PromQLExecutionError, PromQLUnsupportedError
from heroic_core.promql.names import NAME_LABEL
from heroic_core.promql.options import EngineOptions
from heroic_core.promql.parse import unwrap_parens
from heroic_core.promql.selectors import LabelMatcher, MatchOp, Storage
from heroic_core.promql.values import (
    Floats,
    Matrix,
    RawSeries,
    Scalar,
    StepSeries,
    String,
    Times,
    Value,
    Vector,
    merge_same_labels,
    without_name,
)
from heroic_core.promql.windows import RangeArgument

# The parser's enums are not hashable: keyed by their names.
_MATCH_OPS = {
    "MatchOp.Equal": MatchOp.EQUAL,
    "MatchOp.NotEqual": MatchOp.NOT_EQUAL,
    "MatchOp.Re": MatchOp.REGEX,
    "MatchOp.NotRe": MatchOp.NOT_REGEX,
}
_CARDINALITY = {
    "VectorMatchCardinality.OneToOne": "one-to-one",
    "VectorMatchCardinality.ManyToOne": "many-to-one",
    "VectorMatchCardinality.OneToMany": "one-to-many",
    "VectorMatchCardinality.ManyToMany": "many-to-many",
}
#: Range functions and the index of their range-vector argument.
_MATRIX_ARG = dict.fromkeys(windows.RANGE_FUNCTIONS, 0) | {"quantile_over_time": 1}


def _ms(delta: timedelta | None) -> int:
    return 0 if delta is None else round(delta / timedelta(milliseconds=1))


def _epoch_ms(moment: datetime) -> int:
    return round((moment - datetime(1970, 1, 1, tzinfo=UTC)) / timedelta(milliseconds=1))


def selector_matchers(selector: Any, unescape: Callable[[str], str] = str) -> list[LabelMatcher]:
    """The matchers of a parsed vector selector, names (and metric names) unescaped."""
    if selector.matchers.or_matchers:
        raise PromQLUnsupportedError("'or' inside a selector's braces is not supported")
    out = []
    if selector.name:
        out.append(LabelMatcher(NAME_LABEL, MatchOp.EQUAL, unescape(selector.name)))
    for m in selector.matchers.matchers:
        name = unescape(m.name)
        op = _MATCH_OPS[str(m.op)]
        value = m.value
        if name == NAME_LABEL and op in (MatchOp.EQUAL, MatchOp.NOT_EQUAL):
            value = unescape(value)
        out.append(LabelMatcher(name, op, value))
    return out


class Evaluation:
    """One query's evaluation: its storage, its own start and end (``@ start()``/``end()``)."""

    def __init__(self, storage: Storage, start: int, end: int, options: EngineOptions) -> None:
        self.storage = storage
        self.start = start
        self.end = end
        self.options = options
        self.samples = 0

    # -- selectors ----------------------------------------------------------------------

    def matchers(self, selector: Any) -> list[LabelMatcher]:
        return selector_matchers(selector, self.options.unescape)

    def eval_times(self, node: Any, steps: Times) -> Times:
        """When a selector or subquery with ``@`` and ``offset`` reads, per step."""
        at = node.at
        if at is None:
            base = steps
        else:
            if at.type == pp.AtModifierType.Start:
                moment = self.start
            elif at.type == pp.AtModifierType.End:
                moment = self.end
            else:
                try:
                    moment = _epoch_ms(at.at)
                except ValueError:  # the parser cannot represent the time
                    raise PromQLError("timestamp out of bounds for @ modifier") from None
            base = np.full(len(steps), moment, dtype=np.int64)
        return base - _ms(node.offset)

    async def select(self, selector: Any, start: int, end: int) -> list[RawSeries]:
        series = await self.storage.select(self.matchers(selector), start, end)
        self.samples += sum(len(s.times) for s in series)
        if self.samples > self.options.max_samples:
            raise PromQLExecutionError(
                "query processing would load too many samples into memory in query execution"
                f" (the limit is {self.options.max_samples})"
            )
        return series

    async def instant_selector(
        self, selector: Any, steps: Times, *, sample_times: bool = False
    ) -> list[StepSeries]:
        times = self.eval_times(selector, steps)
        lookback = self.options.lookback_ms
        raw = await self.select(selector, int(times.min()) - lookback, int(times.max()))
        out = []
        for series in raw:
            if len(series.times) == 0:
                continue
            index = np.searchsorted(series.times, times, side="right") - 1
            clipped = np.maximum(index, 0)
            present = (index >= 0) & (series.times[clipped] >= times - lookback)
            if not present.any():
                continue
            values = series.values[clipped]
            if sample_times:
                values = series.times[clipped] / 1000.0
            out.append(StepSeries(series.labels, values, present))
        return out

    async def range_argument(self, expr: Any, steps: Times) -> RangeArgument:
        expr = unwrap_parens(expr)
        if isinstance(expr, pp.MatrixSelector):
            selector = expr.vector_selector
            range_ms = _ms(expr.range)
            end = self.eval_times(selector, steps)
            raw = await self.select(selector, int(end.min()) - range_ms, int(end.max()))
            return RangeArgument(raw, end, range_ms)
        if isinstance(expr, pp.SubqueryExpr):
            return await self.subquery(expr, steps)
        raise PromQLError(f"expected a range vector, got {expr}")

    async def subquery(self, expr: Any, steps: Times) -> RangeArgument:
        range_ms = _ms(expr.range)
        resolution = _ms(expr.step) or self.options.resolution_ms
        end = self.eval_times(expr, steps)
        first = int(end.min()) - range_ms
        inner_start = resolution * (first // resolution)
        if inner_start < first:
            inner_start += resolution
        inner_steps = np.arange(inner_start, int(end.max()) + 1, resolution, dtype=np.int64)
        if len(inner_steps) == 0:
            return RangeArgument([], end, range_ms)
        inner = await self.eval(expr.expr, inner_steps)
        if not isinstance(inner, Vector):
            raise PromQLError("a subquery must select an instant vector")
        raw = [
            RawSeries(s.labels, inner_steps[s.present], s.values[s.present]) for s in inner.series
        ]
        return RangeArgument(raw, end, range_ms)

    # -- expressions ----------------------------------------------------------------------

    async def eval(self, expr: Any, steps: Times) -> Value:  # noqa: PLR0911 - one per node
        if isinstance(expr, pp.NumberLiteral):
            return Scalar(np.full(len(steps), float(expr.val)))
        if isinstance(expr, pp.StringLiteral):
            return String(expr.val)
        if isinstance(expr, pp.ParenExpr):
            return await self.eval(expr.expr, steps)
        if isinstance(expr, pp.VectorSelector):
            return Vector(await self.instant_selector(expr, steps))
        if isinstance(expr, pp.MatrixSelector | pp.SubqueryExpr):
            return await self.matrix(expr, steps)
        if isinstance(expr, pp.UnaryExpr):
            return await self.negate(expr, steps)
        if isinstance(expr, pp.BinaryExpr):
            return await self.eval_binary(expr, steps)
        if isinstance(expr, pp.AggregateExpr):
            return await self.eval_aggregate(expr, steps)
        if isinstance(expr, pp.Call):
            return await self.eval_call(expr, steps)
        raise PromQLUnsupportedError(f"expression {type(expr).__name__} is not supported")

    async def matrix(self, expr: Any, steps: Times) -> Matrix:
        """A range vector as a query's result (instant queries only): each series' samples in
        the window of the one step."""
        argument = await self.range_argument(expr, steps[:1])
        end = int(argument.end[0])
        out = []
        for s in argument.series:
            keep = (s.times >= end - argument.range_ms) & (s.times <= end)
            if keep.any():
                out.append(RawSeries(s.labels, s.times[keep], s.values[keep]))
        return Matrix(out)

    async def vector(self, expr: Any, steps: Times) -> list[StepSeries]:
        value = await self.eval(expr, steps)
        if not isinstance(value, Vector):
            raise PromQLError(f"expected an instant vector, got {expr}")
        return value.series

    async def scalar(self, expr: Any, steps: Times) -> Floats:
        value = await self.eval(expr, steps)
        if not isinstance(value, Scalar):
            raise PromQLError(f"expected a scalar, got {expr}")
        return value.values

    async def string(self, expr: Any, steps: Times) -> str:
        value = await self.eval(expr, steps)
        if not isinstance(value, String):
            raise PromQLError(f"expected a string, got {expr}")
        return value.value

    async def negate(self, expr: Any, steps: Times) -> Value:
        value = await self.eval(expr.expr, steps)
        if isinstance(value, Scalar):
            return Scalar(-value.values)
        if isinstance(value, Vector):
            negated = [
                StepSeries(without_name(s.labels), -s.values, s.present) for s in value.series
            ]
            return Vector(merge_same_labels(negated))
        raise PromQLError(f"unary minus needs a scalar or an instant vector, got {expr.expr}")

    async def eval_binary(self, expr: Any, steps: Times) -> Value:
        op = str(expr.op).lower()
        lhs = await self.eval(expr.lhs, steps)
        rhs = await self.eval(expr.rhs, steps)
        modifier = expr.modifier
        return_bool = bool(modifier is not None and modifier.return_bool)
        if isinstance(lhs, Scalar) and isinstance(rhs, Scalar):
            return Scalar(binary.scalar_scalar(op, lhs.values, rhs.values))
        if isinstance(lhs, Vector) and isinstance(rhs, Scalar):
            return Vector(merge_same_labels(binary.vector_scalar(
                op, lhs.series, rhs.values, scalar_left=False, return_bool=return_bool
            )))  # fmt: skip
        if isinstance(lhs, Scalar) and isinstance(rhs, Vector):
            return Vector(merge_same_labels(binary.vector_scalar(
                op, rhs.series, lhs.values, scalar_left=True, return_bool=return_bool
            )))  # fmt: skip
        if not (isinstance(lhs, Vector) and isinstance(rhs, Vector)):
            raise PromQLError(f"binary {op!r} needs scalars or instant vectors")
        matching = self.matching(modifier, op, return_bool)
        if op in binary.SET_OPERATORS:
            return Vector(binary.set_operation(op, lhs.series, rhs.series, matching, len(steps)))
        result = binary.vector_vector(op, lhs.series, rhs.series, matching, len(steps))
        return Vector(merge_same_labels(result))

    def matching(self, modifier: Any, op: str, return_bool: bool) -> binary.Matching:
        default_card = "many-to-many" if op in binary.SET_OPERATORS else "one-to-one"
        if modifier is None:
            return binary.Matching(default_card, False, (), (), return_bool)
        unescape = self.options.unescape
        on, labels = False, tuple[str, ...]()
        if modifier.matching is not None:
            on = modifier.matching.type == pp.LabelModifierType.Include
            labels = tuple(unescape(n) for n in modifier.matching.labels)
        card = _CARDINALITY.get(str(modifier.card), default_card)
        if op in binary.SET_OPERATORS:
            card = "many-to-many"
        include = tuple(unescape(n) for n in (modifier.group_labels or ()))
        return binary.Matching(card, on, labels, include, return_bool)

    async def eval_aggregate(self, expr: Any, steps: Times) -> Vector:
        op = str(expr.op).lower()
        vector = await self.vector(expr.expr, steps)
        param: Floats | str | None = None
        if expr.param is not None:
            value = await self.eval(expr.param, steps)
            if isinstance(value, Scalar):
                param = value.values
            elif isinstance(value, String):
                param = value.value
            else:
                raise PromQLError(f"the parameter of {op} must be a scalar or a string")
        grouping: list[str] = []
        without = False
        if expr.modifier is not None:
            grouping = [self.options.unescape(n) for n in expr.modifier.labels]
            without = expr.modifier.type == pp.AggModifierType.Without
        legacy = self.options.legacy_names
        return Vector(aggregate.aggregate(op, vector, grouping, without, param, legacy=legacy))

    async def eval_call(self, expr: Any, steps: Times) -> Value:
        return await calls.call(self, expr.func.name, list(expr.args), steps)


@dataclass(frozen=True, slots=True)
class Result:
    """A query's value and the steps (ms) its per-step arrays belong to."""

    value: Value
    steps: Times


async def evaluate_range(
    storage: Storage, expr: Any, *, start: int, end: int, step: int, options: EngineOptions
) -> Result:
    """A range query: ``expr`` at ``start``, ``start + step``, ... up to ``end`` (ms)."""
    steps = np.arange(start, end + 1, step, dtype=np.int64)
    value = await Evaluation(storage, start, end, options).eval(expr, steps)
    if isinstance(value, Matrix | String):
        kind = "range vector" if isinstance(value, Matrix) else "string"
        raise PromQLError(
            f'invalid expression type "{kind}" for range query, must be Scalar or instant Vector'
        )
    return Result(value, steps)


async def evaluate_instant(
    storage: Storage, expr: Any, *, time: int, options: EngineOptions
) -> Result:
    """An instant query at ``time`` (ms)."""
    steps = np.array([time], dtype=np.int64)
    return Result(await Evaluation(storage, time, time, options).eval(expr, steps), steps)
