"""Turn HQL text into a query, a filter or an aggregation (upstream ``newQueryFromString``).

A query string must hold exactly one statement and it must be a query (``let`` parses but is
not executable). ``from <source>(d)`` and ``from <source>(a, b)`` both become an *absolute*
range evaluated against ``$now`` (as upstream does); a range with ``end - start <= 0`` is
dropped like upstream's ``QueryBuilder.range``. ``with``/``as`` are evaluated (so their errors
surface) and then ignored, so ``options`` and ``features`` are always None from HQL.
Everything raises ``QueryParseError`` with a position.

A ``ParsedQuery`` prints as upstream's query JSON (``/parser/parse-query``); ``decode()`` turns
it into the objects a JSON query decodes to (``HqlQuery``), checked by the same functions: its
range by ``ranges.absolute_range``, its aggregation (HQL's aggregation form is that JSON) by
``aggregations.parse_aggregation``, which raise ``JsonMappingError`` as for JSON.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from heroic_core.aggregations import Aggregation, Empty
from heroic_core.aggregations import parse_aggregation as parse_aggregation_json
from heroic_core.errors import QueryParseError
from heroic_core.filters import TRUE, Filter, nesting_depth, optimize
from heroic_core.hql.aggregations import build_aggregation
from heroic_core.hql.ast import (
    Expr,
    FunctionExpr,
    IntegerExpr,
    LetStatement,
    QueryStatement,
    RangeExpr,
    StringExpr,
)
from heroic_core.hql.evaluate import Scope, cast, evaluate
from heroic_core.hql.parser import (
    TOO_DEEP,
    parse_expression_syntax,
    parse_filter_syntax,
    parse_statements,
)
from heroic_core.limits import (
    AGGREGATION_TOO_DEEP,
    FILTER_TOO_DEEP,
    MAX_AGGREGATION_DEPTH,
    MAX_FILTER_DEPTH,
    json_depth,
)
from heroic_core.model import MetricType
from heroic_core.ranges import AbsoluteRange, absolute_range


@dataclass(frozen=True, slots=True)
class HqlQuery:
    """An HQL query as the objects a JSON query decodes to; ``range`` is None when HQL had none
    (the request's JSON may supply one), the other fields have their defaults filled in."""

    range: AbsoluteRange | None
    filter: Filter
    aggregation: Aggregation
    source: MetricType


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A parsed HQL query; ``to_json()`` is what ``/parser/parse-query`` returns."""

    filter: Filter | None = None
    aggregation: dict[str, Any] | None = None
    source: MetricType | None = None
    range: AbsoluteRange | None = None
    options: dict[str, Any] | None = None
    features: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        """Upstream's ``Query`` JSON: absent fields omitted, in upstream field order."""
        out: dict[str, Any] = {}
        if self.aggregation is not None:
            out["aggregation"] = self.aggregation
        if self.source is not None:
            out["source"] = self.source.value
        if self.range is not None:
            out["range"] = self.range.to_json()
        if self.filter is not None:
            out["filter"] = self.filter.to_json()
        if self.options is not None:
            out["options"] = self.options
        if self.features is not None:
            out["features"] = list(self.features)
        return out

    def decode(self, path: str = "") -> HqlQuery:
        """The query's objects, checked as a JSON query's are (``JsonMappingError`` at
        ``path``, where the HQL sits in the request): the range, then the aggregation."""
        range_ = self.range
        if range_ is not None:
            range_ = absolute_range(range_.start, range_.end, path)
        aggregation: Aggregation = Empty()
        if self.aggregation is not None:
            aggregation = parse_aggregation_json(self.aggregation, path)
        return HqlQuery(
            range=range_,
            filter=TRUE if self.filter is None else self.filter,
            aggregation=aggregation,
            source=self.source or MetricType.POINTS,
        )


def _now(now_ms: int | None) -> Scope:
    return Scope(int(time.time() * 1000) if now_ms is None else now_ms)


def parse_filter(text: str) -> Filter:
    """Parse an HQL filter (``filterOnly``), optimized."""
    return _optimized(parse_filter_syntax(text))


def _optimized(parsed: Filter) -> Filter:
    """``parsed`` optimized; deeper than ``MAX_FILTER_DEPTH`` is a parse error."""
    try:
        result = optimize(parsed)
    except RecursionError:
        raise QueryParseError(TOO_DEEP, 1, 0) from None
    if nesting_depth(result) > MAX_FILTER_DEPTH:
        raise QueryParseError(FILTER_TOO_DEEP, 1, 0)
    return result


def aggregation_from(value: Expr) -> dict[str, Any]:
    """Aggregation JSON for an evaluated select expression (a name or a call).

    JSON deeper than ``MAX_AGGREGATION_DEPTH`` levels is a parse error at the expression:
    aggregation decoders and JSON encoders recurse on it.
    """
    if not isinstance(value, StringExpr | FunctionExpr):
        raise value.span.error(f"{value.repr()} is not an aggregation")
    result = build_aggregation(cast(value, FunctionExpr))
    if json_depth(result) > MAX_AGGREGATION_DEPTH:
        raise value.span.error(AGGREGATION_TOO_DEEP)
    return result


def parse_aggregation(text: str, *, now_ms: int | None = None) -> dict[str, Any]:
    """Parse an aggregation expression such as ``average by host | sum(5m)`` to JSON."""
    expression = parse_expression_syntax(text)
    try:
        return aggregation_from(evaluate(expression, _now(now_ms)))
    except RecursionError:
        raise QueryParseError(TOO_DEEP, 1, 0) from None


def _single_query(text: str) -> QueryStatement:
    statements = parse_statements(text)
    if len(statements) != 1:
        raise QueryParseError("Expected exactly one expression", 1, 0)
    statement = statements[0]
    if isinstance(statement, LetStatement):
        raise statement.span.error("expected a query, but got a let statement")
    return statement


def _absolute_range(range_: Expr) -> AbsoluteRange | None:
    assert isinstance(range_, RangeExpr)  # noqa: S101 (evaluate keeps ranges as ranges)
    start = cast(range_.start, IntegerExpr).value
    end = cast(range_.end, IntegerExpr).value
    if end - start <= 0:
        return None
    return AbsoluteRange(start, end)


def parse_query(text: str, *, now_ms: int | None = None) -> ParsedQuery:
    """Parse one HQL query; ``now_ms`` is ``$now`` (default: the current time)."""
    statement = _single_query(text)
    try:
        return _evaluate_query(statement, _now(now_ms))
    except RecursionError:
        raise QueryParseError(TOO_DEEP, 1, 0) from None


def _evaluate_query(statement: QueryStatement, scope: Scope) -> ParsedQuery:
    select = None if statement.select is None else evaluate(statement.select, scope)
    range_ = None if statement.range is None else evaluate(statement.range, scope)
    for _, option in (*statement.with_options, *statement.as_options):
        evaluate(option, scope)
    return ParsedQuery(
        range=None if range_ is None else _absolute_range(range_),
        aggregation=None if select is None else aggregation_from(select),
        source=statement.source,
        filter=None if statement.filter is None else _optimized(statement.filter),
    )
