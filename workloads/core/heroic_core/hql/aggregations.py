"""HQL aggregation expressions to aggregation JSON (reference 5.4 and 6.1).

Mirrors upstream's per-aggregation DSL builders (``AggregationArguments``): arguments are
taken positionally or by keyword, every argument must be consumed ("<name>: has trailing
argument ..."), unknown names give "Missing aggregation <name>", and builder errors are
prefixed with the aggregation name. The output is the JSON the aggregation decoder reads:
durations as ``{"duration": n, "unit": "MINUTES"}``, absent parameters omitted. Choices:
``opts`` emits its sampling as ``{"value", "extent"}`` (the decodable field names; upstream's
serializer wrote ``size``), and nested chains are flattened.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from heroic_core.errors import QueryParseError
from heroic_core.hql.ast import (
    DoubleExpr,
    DurationExpr,
    EmptyExpr,
    Expr,
    FunctionExpr,
    IntegerExpr,
    ListExpr,
    StringExpr,
)
from heroic_core.hql.evaluate import cast

T = TypeVar("T", bound=Expr)
Json = dict[str, Any]
Builder = Callable[[FunctionExpr, "Arguments"], Json]
_INT_MAX = 2**31 - 1


class Arguments:
    """Positional and keyword arguments of one call, consumed as they are taken."""

    def __init__(self, fn: FunctionExpr) -> None:
        self.args = list(fn.args)
        self.keywords = dict(fn.keywords)

    def positional(self, to: type[T]) -> T | None:
        return cast(self.args.pop(0), to) if self.args else None

    def keyword(self, key: str, to: type[T]) -> T | None:
        value = self.keywords.pop(key, None)
        return None if value is None else cast(value, to)

    def positional_or_keyword(self, key: str, to: type[T]) -> T | None:
        return self.positional(to) if self.args else self.keyword(key, to)

    def all(self, to: type[T]) -> list[T]:
        taken = [cast(a, to) for a in self.args]
        self.args.clear()
        return taken

    def trailing(self) -> str | None:
        """Upstream's description of what was not consumed, or None."""
        parts = []
        if self.args:
            reprs = [a.repr() for a in self.args]
            parts.append(f"argument {reprs[0]}" if len(reprs) == 1 else f"arguments {reprs}")
        if self.keywords:
            keys = sorted(self.keywords)
            parts.append(f"keyword {keys[0]}" if len(keys) == 1 else f"keywords {keys}")
        return " and ".join(parts) if parts else None


def duration_json(d: DurationExpr) -> Json:
    return {"duration": d.value, "unit": d.unit}


def build_aggregation(fn: FunctionExpr) -> Json:
    """The aggregation JSON for an evaluated function expression."""
    builder = _BUILDERS.get(fn.name)
    if builder is None:
        raise fn.span.error(f"Missing aggregation {fn.name}")
    args = Arguments(fn)
    try:
        result = builder(fn, args)
    except QueryParseError as e:
        detail = f"{fn.name}: {e.detail}"
        raise QueryParseError(detail, e.line, e.col, e.line_end, e.col_end) from None
    trailing = args.trailing()
    if trailing is not None:
        raise fn.span.error(f"{fn.name}: has trailing {trailing}")
    return result


def _child(expr: FunctionExpr | None) -> Json | None:
    return None if expr is None else build_aggregation(expr)


def _sampling(fn: FunctionExpr, args: Arguments) -> Json:
    out: Json = {"type": fn.name}
    size = args.positional_or_keyword("size", DurationExpr)
    extent = args.positional_or_keyword("extent", DurationExpr)
    if size is not None:
        out["size"] = duration_json(size)
    if extent is not None:
        out["extent"] = duration_json(extent)
    return out


def _quantile(fn: FunctionExpr, args: Arguments) -> Json:
    out = _sampling(fn, args)
    for key in ("q", "error"):
        value = args.positional_or_keyword(key, DoubleExpr)
        if value is not None:
            out[key] = value.value
    return out


def _cardinality(fn: FunctionExpr, args: Arguments) -> Json:
    out = _sampling(fn, args)
    method = args.positional_or_keyword("method", Expr)
    out["method"] = _cardinality_method(method)
    return out


def _cardinality_method(expr: Expr | None) -> Json:
    if expr is None:
        return {"type": "hllp", "precision": 16, "includeKey": False}
    if not isinstance(expr, StringExpr | FunctionExpr):
        raise expr.span.error("Unsupported method")
    fn = cast(expr, FunctionExpr)
    keywords = dict(fn.keywords)
    include = keywords.get("includeKey")
    include_key = include is not None and cast(include, StringExpr).value == "true"
    precision = keywords.get("precision")
    if fn.name == "exact":
        return {"type": "exact", "includeKey": include_key}
    if fn.name == "hll":
        value = 0.01 if precision is None else cast(precision, DoubleExpr).value
        return {"type": "hll", "precision": value, "includeKey": include_key}
    if fn.name == "hllp":
        bits = 16 if precision is None else cast(precision, IntegerExpr)
        if isinstance(bits, IntegerExpr):
            if abs(bits.value) > _INT_MAX:
                raise bits.span.error("cannot be converted to integer")
            bits = bits.value
        return {"type": "hllp", "precision": bits, "includeKey": include_key}
    raise fn.span.error("Unknown cardinality method")


def _filter_k(field: str, to: type[IntegerExpr] | type[DoubleExpr]) -> Builder:
    def build(fn: FunctionExpr, args: Arguments) -> Json:
        value = args.positional(to)
        if value is None:
            raise fn.span.error("missing required argument 'k'")
        return {"type": fn.name, field: value.value}

    return build


def _plain(fn: FunctionExpr, args: Arguments) -> Json:
    return {"type": fn.name}


def _grouping(fn: FunctionExpr, args: Arguments) -> Json:
    out: Json = {"type": fn.name}
    of = args.positional_or_keyword("of", Expr)
    if of is not None and not isinstance(of, EmptyExpr):
        out["of"] = [cast(v, StringExpr).value for v in cast(of, ListExpr).items]
    each = _child(args.positional_or_keyword("each", FunctionExpr))
    if each is not None:
        out["each"] = each
    return out


def _chain(fn: FunctionExpr, args: Arguments) -> Json:
    chain: list[Json] = []
    for step in (build_aggregation(f) for f in args.all(FunctionExpr)):
        chain.extend(step["chain"] if step["type"] == "chain" else [step])
    return {"type": fn.name, "chain": chain}


def _options(fn: FunctionExpr, args: Arguments) -> Json:
    out: Json = {"type": fn.name}
    child = _child(args.positional_or_keyword("aggregation", FunctionExpr))
    size = args.keyword("size", DurationExpr)
    extent = args.keyword("extent", DurationExpr)
    if size is not None or extent is not None:
        sampling: Json = {}
        if size is not None:
            sampling["value"] = duration_json(size)
        if extent is not None:
            sampling["extent"] = duration_json(extent)
        out["sampling"] = sampling
    if child is not None:
        out["aggregation"] = child
    return out


_SAMPLING_NAMES = (
    "tpl", "spread", "sum", "sum2", "average", "min", "max", "ratePerSecond", "stddev",
    "count", "group-unique", "tdigest",
)  # fmt: skip

_BUILDERS: dict[str, Builder] = {
    **dict.fromkeys(_SAMPLING_NAMES, _sampling),
    **dict.fromkeys(("empty", "delta", "deltaPerSecond", "notNegative"), _plain),
    "quantile": _quantile,
    "cardinality": _cardinality,
    "topk": _filter_k("k", IntegerExpr),
    "bottomk": _filter_k("k", IntegerExpr),
    "abovek": _filter_k("k", DoubleExpr),
    "belowk": _filter_k("k", DoubleExpr),
    "pointsabove": _filter_k("threshold", DoubleExpr),
    "pointsbelow": _filter_k("threshold", DoubleExpr),
    "group": _grouping,
    "collapse": _grouping,
    "chain": _chain,
    "opts": _options,
}

AGGREGATION_NAMES = frozenset(_BUILDERS)
