"""Evaluate HQL expressions: references, arithmetic, casts (reference 5.3).

Java semantics: integers are 64-bit longs (wrapping, truncating division), doubles are IEEE
(division by zero gives infinity), a binary operator converts its right operand to the left
operand's type. Durations add in the finer unit and divide by stepping to finer units until
exact. Integer division by zero (an ArithmeticException upstream) is a parse error here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar
from typing import cast as type_cast

from heroic_core.hql.ast import (
    UNIT_MILLIS,
    BinaryExpr,
    DateTimeExpr,
    DoubleExpr,
    DurationExpr,
    Expr,
    FunctionExpr,
    InstantExpr,
    IntegerExpr,
    ListExpr,
    NegateExpr,
    RangeExpr,
    ReferenceExpr,
    Span,
    StringExpr,
    TimeExpr,
)
from heroic_core.hql.literals import LONG_MAX, LONG_MIN

T = TypeVar("T", bound=Expr)
_DAY = 86_400_000
_FINER = {"DAYS": "HOURS", "HOURS": "MINUTES", "MINUTES": "SECONDS", "SECONDS": "MILLISECONDS"}


class Scope:
    """Variables visible to expressions: only ``$now`` (server time in ms)."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def lookup(self, span: Span, name: str) -> Expr:
        if name == "now":
            return IntegerExpr(span, self.now_ms)
        raise span.error(f"cannot find reference ({name}) in the current scope")


def java_long(value: int) -> int:
    """Wrap to a signed 64-bit value like Java long arithmetic."""
    return ((value - LONG_MIN) % 2**64) + LONG_MIN


def java_div(a: int, b: int, span: Span) -> int:
    if b == 0:
        raise span.error("division by zero")
    q = abs(a) // abs(b)
    return java_long(-q if (a < 0) != (b < 0) else q)


def double_to_long(value: float) -> int:
    """Java ``(long) d``: truncation, saturating, NaN -> 0."""
    if math.isnan(value):
        return 0
    if value >= 2.0**63:
        return LONG_MAX
    if value <= -(2.0**63):
        return LONG_MIN
    return int(value)


def _double_div(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _convert(expr: Expr, to: type[Expr]) -> Expr | None:
    """Upstream's non-identity casts; None when there is none."""
    span = expr.span
    if isinstance(expr, IntegerExpr | InstantExpr | DoubleExpr | DurationExpr):
        if isinstance(expr, DoubleExpr):
            millis = double_to_long(expr.value)
        elif isinstance(expr, DurationExpr):
            millis = java_long(expr.millis())
        else:
            millis = expr.value if isinstance(expr, IntegerExpr) else expr.millis
        if to is IntegerExpr:
            return IntegerExpr(span, millis)
        if to is DurationExpr and not isinstance(expr, DurationExpr):
            return DurationExpr(span, "MILLISECONDS", millis)
        if to is DoubleExpr and isinstance(expr, IntegerExpr | InstantExpr):
            return DoubleExpr(span, float(millis))
    if isinstance(expr, StringExpr) and to is ListExpr:
        return ListExpr(span, (expr,))
    if isinstance(expr, StringExpr) and to is FunctionExpr:
        return FunctionExpr(span, expr.value, (), ())
    return None


def cast(expr: Expr, to: type[T]) -> T:
    """Convert an evaluated expression to ``to`` as upstream's ``Expression.cast`` does."""
    if isinstance(expr, to):
        return expr
    converted = _convert(expr, to)
    if converted is None:
        raise expr.span.error(f"{expr.repr()} cannot be cast to {to.type_name}")
    return type_cast(T, converted)


def _time(expr: TimeExpr, scope: Scope) -> Expr:
    day = scope.now_ms // _DAY * _DAY
    millis = ((expr.hours * 60 + expr.minutes) * 60 + expr.seconds) * 1000 + expr.millis
    return InstantExpr(expr.span, day + millis)


def _function(expr: FunctionExpr, scope: Scope) -> Expr:
    args = tuple(evaluate(a, scope) for a in expr.args)
    keywords = tuple((k, evaluate(v, scope)) for k, v in expr.keywords)
    return FunctionExpr(expr.span, expr.name, args, keywords)


_EVALUATORS: dict[type[Expr], Callable[[Any, Scope], Expr]] = {
    ReferenceExpr: lambda e, s: evaluate(s.lookup(e.span, e.name), s),
    TimeExpr: _time,
    DateTimeExpr: lambda e, s: InstantExpr(e.span, e.millis),
    ListExpr: lambda e, s: ListExpr(e.span, tuple(evaluate(i, s) for i in e.items)),
    FunctionExpr: _function,
    NegateExpr: lambda e, s: negate(evaluate(e.expr, s)),
    BinaryExpr: lambda e, s: binary(e.op, evaluate(e.left, s), evaluate(e.right, s)),
    RangeExpr: lambda e, s: RangeExpr(e.span, evaluate(e.start, s), evaluate(e.end, s)),
}


def evaluate(expr: Expr, scope: Scope) -> Expr:
    """Evaluate ``expr`` to a value expression (integer, double, string, list, ...)."""
    evaluator = _EVALUATORS.get(type(expr))
    return expr if evaluator is None else evaluator(expr, scope)


def negate(value: Expr) -> Expr:
    if isinstance(value, IntegerExpr):
        return IntegerExpr(value.span, java_long(-value.value))
    if isinstance(value, DoubleExpr):
        return DoubleExpr(value.span, -value.value)
    if isinstance(value, DurationExpr):
        return DurationExpr(value.span, value.unit, -value.value)
    raise value.span.error(f"{value.repr()}: unsupported unary operator: -")


def _unsupported(left: Expr, op: str) -> Exception:
    return left.span.error(f"{left.repr()}: unsupported binary operator: {op}")


def _numeric(op: str, left: IntegerExpr | DoubleExpr, right: Expr, span: Span) -> Expr:
    if isinstance(left, IntegerExpr):
        a, b = left.value, cast(right, IntegerExpr).value
        ops = {"+": a + b, "-": a - b, "*": a * b}
        value = ops[op] if op in ops else java_div(a, b, right.span)
        return IntegerExpr(span, java_long(value))
    x, y = left.value, cast(right, DoubleExpr).value
    results = {"+": x + y, "-": x - y, "*": x * y}
    return DoubleExpr(span, results[op] if op in results else _double_div(x, y))


def binary(op: str, left: Expr, right: Expr) -> Expr:
    """``left <op> right`` on evaluated operands."""
    span = left.span.join(right.span)
    if isinstance(left, IntegerExpr | DoubleExpr):
        return _numeric(op, left, right, span)
    if isinstance(left, DurationExpr) and op in "+-":
        return _duration_add(left, cast(right, DurationExpr), op == "-", span)
    if isinstance(left, DurationExpr) and op == "/":
        return _duration_div(left, cast(right, IntegerExpr))
    if op == "+" and isinstance(left, StringExpr):
        return StringExpr(span, left.value + cast(right, StringExpr).value)
    if op == "+" and isinstance(left, ListExpr):
        return ListExpr(span, left.items + cast(right, ListExpr).items)
    if op == "+" and isinstance(left, InstantExpr):
        return InstantExpr(span, java_long(left.millis + cast(right, InstantExpr).millis))
    raise _unsupported(left, op)


def _duration_add(a: DurationExpr, b: DurationExpr, subtract: bool, span: Span) -> Expr:
    unit = a.unit if UNIT_MILLIS[a.unit] <= UNIT_MILLIS[b.unit] else b.unit
    x = a.value * (UNIT_MILLIS[a.unit] // UNIT_MILLIS[unit])
    y = b.value * (UNIT_MILLIS[b.unit] // UNIT_MILLIS[unit])
    return DurationExpr(span, unit, java_long(x - y if subtract else x + y))


def _java_rem(a: int, b: int) -> int:
    remainder = abs(a) % abs(b)
    return -remainder if a < 0 else remainder


def _duration_div(duration: DurationExpr, den: IntegerExpr) -> Expr:
    if den.value == 0:
        raise den.span.error("division by zero")
    value, unit = duration.value, duration.unit
    while _java_rem(value, den.value) != 0 and unit in _FINER:
        finer = _FINER[unit]
        value = java_long(value * (UNIT_MILLIS[unit] // UNIT_MILLIS[finer]))
        unit = finer
    return DurationExpr(duration.span, unit, java_div(value, den.value, den.span))
