"""Recursive descent HQL parser reproducing upstream's ANTLR grammar (reference 5.2).

Statements, queries and filters; expressions are in ``expressions.py``. Filter precedence
follows ANTLR's left-recursion rewrite of ``HeroicQuery.g4``: ``or`` binds tighter than
``and`` and ``!`` negates everything to its right. A filter starting with ``(``
is ambiguous (``(a = b)`` vs ``(a) = b``); it is resolved by backtracking and the error that
got furthest is reported. Syntax errors are "unexpected token: <text>" (or "unterminated
string: ...") at the offending token, as upstream's BailErrorStrategy reports them. Texts
longer than ``MAX_LENGTH`` are refused before lexing (upstream had no bound).

Builds filters directly (like upstream's listener) but never evaluates expressions.
"""

from __future__ import annotations

from heroic_core.errors import QueryParseError
from heroic_core.filters import (
    FALSE,
    TRUE,
    And,
    Filter,
    HasTag,
    MatchKey,
    Not,
    Or,
)
from heroic_core.hql.ast import (
    BinaryExpr,
    Expr,
    LetStatement,
    QueryStatement,
    RangeExpr,
    ReferenceExpr,
    Statement,
)
from heroic_core.hql.comparisons import build_comparison, operand_string
from heroic_core.hql.expressions import ExpressionParser, SyntaxFail, token_span
from heroic_core.hql.lexer import EOF, IDENTIFIER
from heroic_core.model import MetricType

TOO_DEEP = "expression is nested too deeply"
#: Longest text parsed (characters): parsing costs a few microseconds per character and runs on
#: the event loop, so an unbounded text would stall the node.
MAX_LENGTH = 256 * 1024
_COMPARISONS = frozenset({"=", "!=", "^", "!^", "~", "!~", "in", "not"})


class Parser(ExpressionParser):
    """One parse of one text; use the ``parse_*`` functions below."""

    # -- statements ----------------------------------------------------------------------
    def statements(self) -> list[Statement]:
        result: list[Statement] = []
        while not self.at(EOF):
            result.append(self.statement())
            if not self.at(";"):
                break
            self.advance()
        self.expect(EOF)
        return result

    def statement(self) -> Statement:
        if not self.at("let"):
            return self.query()
        first = self.advance()
        target = self.expr()
        self.expect("=")
        query = self.query()
        if not isinstance(target, ReferenceExpr):
            raise target.span.error(f"expected a reference, but got {target.repr()}")
        return LetStatement(token_span(first, self.last()), target.name, query)

    def query(self) -> QueryStatement:
        first = self.peek()
        select = None if self.accept("*") else self.expr()
        source, range_ = self.from_clause() if self.at("from") else (None, None)
        where = self.filter() if self.accept("where") else None
        with_options = self.key_values() if self.accept("with") else ()
        as_options = self.key_values() if self.accept("as") else ()
        span = token_span(first, self.last())
        return QueryStatement(span, select, source, range_, where, with_options, as_options)

    def from_clause(self) -> tuple[MetricType, RangeExpr | None]:
        first = self.advance()
        name = self.expect(IDENTIFIER)
        range_ = self.source_range() if self.at("(") else None
        span = token_span(first, self.last())
        try:
            return MetricType(name.text), range_
        except ValueError:
            valid = ", ".join(m.value for m in MetricType)
            raise span.error(f"Invalid source ({name.text}), must be one of {valid}") from None

    def source_range(self) -> RangeExpr:
        first = self.advance()
        start = self.expr()
        if self.at(","):
            self.advance()
            end = self.expr()
            self.expect(")")
            return RangeExpr(token_span(first, self.last()), start, end)
        self.expect(")")
        span = token_span(first, self.last())
        now = ReferenceExpr(span, "now")
        return RangeExpr(span, BinaryExpr(span, "-", now, start), now)

    def key_values(self) -> tuple[tuple[str, Expr], ...]:
        pairs = [self.key_value()]
        while self.at(","):
            self.advance()
            pairs.append(self.key_value())
        return tuple(pairs)

    def key_value(self) -> tuple[str, Expr]:
        name = self.expect(IDENTIFIER)
        self.expect("=")
        return name.text, self.expr()

    # -- filters -------------------------------------------------------------------------
    def filter(self, min_prec: int = 0) -> Filter:
        left = self.filter_primary()
        while True:
            if self.at("or") and min_prec <= 15:
                left = self.chain(left, "or", 16)
            elif self.at("and") and min_prec <= 14:
                left = self.chain(left, "and", 15)
            else:
                return left

    def chain(self, left: Filter, word: str, operand_prec: int) -> Filter:
        """``left word f word f ...`` as one flat term, so long filters do not nest deeply
        (and are built in linear time)."""
        kind = Or if word == "or" else And
        terms = list(left.terms) if isinstance(left, kind) else [left]
        while self.at(word):
            self.advance()
            terms.append(self.filter(operand_prec))
        return kind(tuple(terms))

    def filter_primary(self) -> Filter:
        kind = self.peek().kind
        if kind == "(":
            return self.parenthesized_filter()
        if kind == "$key":
            self.advance()
            negate = self.at("!=")
            if not self.at("=", "!="):
                raise SyntaxFail(self.pos)
            self.advance()
            key = MatchKey(operand_string(self.expr()))
            return Not(key) if negate else key
        if kind == "+":
            self.advance()
            return HasTag(operand_string(self.expr()))
        if kind in ("true", "false"):
            self.advance()
            return TRUE if kind == "true" else FALSE
        if kind == "!":
            self.advance()
            return Not(self.filter())
        return self.comparison()

    def parenthesized_filter(self) -> Filter:
        start = self.pos
        try:
            self.advance()
            inner = self.filter()
            self.expect(")")
        except SyntaxFail as first:
            self.pos = start
            try:
                return self.comparison()
            except SyntaxFail as second:
                raise max(first, second, key=lambda f: f.index) from None
        return inner

    def comparison(self) -> Filter:
        left = self.expr()
        operator = self.peek().kind
        if operator not in _COMPARISONS:
            raise SyntaxFail(self.pos)
        self.advance()
        if operator == "not":
            self.expect("in")
        right = self.expr()
        return build_comparison(operator, left, right)


def _run(text: str, rule: str) -> object:
    if len(text) > MAX_LENGTH:
        raise QueryParseError(
            f"query is too long ({len(text)} characters, at most {MAX_LENGTH})", 1, 0
        )
    parser = Parser(text)
    try:
        if rule == "statements":
            return parser.statements()
        if rule == "filter":
            result: object = parser.filter()
        else:
            result = parser.expr()
        parser.expect(EOF)
    except SyntaxFail as fail:
        raise parser.syntax_error(fail) from None
    except RecursionError:
        raise QueryParseError(TOO_DEEP, 1, 0) from None
    return result


def parse_statements(text: str) -> list[Statement]:
    """Parse ``statements`` (the whole query language)."""
    result = _run(text, "statements")
    assert isinstance(result, list)  # noqa: S101 (narrowing for mypy)
    return result


def parse_filter_syntax(text: str) -> Filter:
    """Parse ``filterOnly``; the result is not optimized."""
    result = _run(text, "filter")
    assert isinstance(result, Filter)  # noqa: S101 (narrowing for mypy)
    return result


def parse_expression_syntax(text: str) -> Expr:
    """Parse ``expressionOnly`` (no evaluation)."""
    result = _run(text, "expr")
    assert isinstance(result, Expr)  # noqa: S101 (narrowing for mypy)
    return result
