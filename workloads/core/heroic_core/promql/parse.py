"""Parsing PromQL with ``promql-parser`` (GreptimeDB's Rust parser), with Prometheus' error
shape: ``<line>:<column>: parse error: <reason>``.

The parser reports no position, so the position is found by parsing prefixes: the first
prefix whose error is the query's own error (rather than "unexpected end of input") ends at
the offending character. Queries are short and a parse takes microseconds.
"""

from __future__ import annotations

from typing import Any

import promql_parser

from heroic_core.promql.errors import PromQLError

#: Longer queries are reported without a position rather than parsed once per character.
_POSITION_SEARCH_LIMIT = 4096


def _error(query: str) -> str | None:
    try:
        promql_parser.parse(query)
    except ValueError as exc:
        return str(exc)
    return None


def _position(query: str, message: str) -> int | None:
    if len(query) > _POSITION_SEARCH_LIMIT:
        return None
    for end in range(1, len(query) + 1):
        if _error(query[:end]) == message:
            return end
    return None


def parse(query: str) -> Any:
    """The expression tree of ``query``, or ``PromQLError`` naming where and why."""
    if not query.strip():
        raise PromQLError("parse error: empty query")
    try:
        return promql_parser.parse(query)
    except ValueError as exc:
        message = str(exc)
        end = _position(query, message)
        if end is None:
            raise PromQLError(f"parse error: {message}") from None
        line = query.count("\n", 0, end - 1) + 1
        column = end - (query.rfind("\n", 0, end - 1) + 1)
        raise PromQLError(f"{line}:{column}: parse error: {message}") from None


def unwrap_parens(expr: Any) -> Any:
    """``expr`` without the parentheses around it."""
    while isinstance(expr, promql_parser.ParenExpr):
        expr = expr.expr
    return expr
