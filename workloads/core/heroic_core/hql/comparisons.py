"""Build filter terms from HQL comparisons (``k = v``, ``k !~ v``, ``k in [..]`` ...).

Operands are the unevaluated expressions, as in upstream's listener: they must be strings
(identifier, simple or quoted string). Upstream crashed with a 500 on other operands (for
example ``status = 200``); here they are a parse error naming the operand.
"""

from __future__ import annotations

from heroic_core.filters import Filter, MatchTag, Not, Or, Regex, StartsWith
from heroic_core.hql.ast import DoubleExpr, DurationExpr, Expr, IntegerExpr, ListExpr, StringExpr

_LITERALS = (IntegerExpr, DoubleExpr, DurationExpr)


def operand_string(expr: Expr) -> str:
    """The string value of a filter operand, or a parse error at the operand."""
    if isinstance(expr, StringExpr):
        return expr.value
    hint = ' (quote it: "...")' if isinstance(expr, _LITERALS) else ""
    raise expr.span.error(f"expected a string, but got {expr.type_name} {expr.repr()}{hint}")


def _in_terms(key: str, match: Expr, *, allow_single: bool) -> tuple[Filter, ...]:
    if allow_single and isinstance(match, StringExpr):
        return (MatchTag(key, match.value),)
    if not isinstance(match, ListExpr):
        if not allow_single:
            raise match.span.error(f"expected a list, but got {match.type_name} {match.repr()}")
        raise match.span.error(f"Cannot use type {match.type_name} in expression")
    values: list[Filter] = []
    for item in match.items:
        if not isinstance(item, StringExpr):
            raise item.span.error(f"{item.repr()} cannot be cast to string")
        values.append(MatchTag(key, item.value))
    return tuple(values)


def _regex(key: str, value: str, right: Expr) -> Regex:
    try:
        return Regex(key, value)
    except ValueError as e:
        raise right.span.error(str(e)) from None


def build_comparison(operator: str, left: Expr, right: Expr) -> Filter:
    """The filter for ``left <operator> right``; ``not`` stands for ``not in``."""
    key = operand_string(left)
    if operator == "in":
        return Or(_in_terms(key, right, allow_single=True))
    if operator == "not":
        # upstream's listener requires a list here (a single string crashed it)
        return Not(Or(_in_terms(key, right, allow_single=False)))
    value = operand_string(right)
    positive: Filter
    if operator in ("=", "!="):
        positive = MatchTag(key, value)
    elif operator in ("^", "!^"):
        positive = StartsWith(key, value)
    else:
        positive = _regex(key, value, right)
    return Not(positive) if operator.startswith("!") else positive
