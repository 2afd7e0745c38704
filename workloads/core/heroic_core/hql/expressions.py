"""Token stream and expression parsing for HQL (the ``expr`` rule of reference 5.2).

Precedence follows ANTLR's left-recursion rewrite of ``HeroicQuery.g4``: ``-e`` binds
tightest, then ``* /``, ``+ -``, ``by e``, ``by *`` and finally ``|``; binary operators are
left-associative. ``A by B`` becomes ``group(B, A)`` and ``A | B`` becomes ``chain(A, B)``
as in upstream's listener. Parses only; never evaluates.
"""

from __future__ import annotations

from heroic_core.errors import QueryParseError
from heroic_core.hql import literals
from heroic_core.hql.ast import (
    BinaryExpr,
    EmptyExpr,
    Expr,
    FunctionExpr,
    ListExpr,
    NegateExpr,
    Span,
    StringExpr,
)
from heroic_core.hql.lexer import IDENTIFIER, UNTERMINATED, Token, tokenize


class SyntaxFail(Exception):  # noqa: N818 (internal control flow, never escapes the parser)
    """A syntax failure at token ``index``."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


def token_span(first: Token, last: Token) -> Span:
    return Span(first.line, first.col, last.end_line, last.end_col)


class ExpressionParser:
    """Token helpers and the expression grammar; ``Parser`` adds statements and filters."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    # -- token helpers -------------------------------------------------------------------
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def at(self, *kinds: str) -> bool:
        return self.peek().kind in kinds

    def advance(self) -> Token:
        token = self.peek()
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def accept(self, kind: str) -> bool:
        if self.at(kind):
            self.advance()
            return True
        return False

    def expect(self, kind: str) -> Token:
        if not self.at(kind):
            raise SyntaxFail(self.pos)
        return self.advance()

    def last(self) -> Token:
        return self.tokens[max(self.pos - 1, 0)]

    def syntax_error(self, fail: SyntaxFail) -> QueryParseError:
        token = self.tokens[fail.index]
        if token.kind == UNTERMINATED:
            detail = f"unterminated string: {token.text}"
        else:
            detail = f"unexpected token: {token.text}"
        return QueryParseError(detail, token.line, token.col)

    # -- expressions ---------------------------------------------------------------------
    def expr(self, min_prec: int = 0) -> Expr:
        left = self.expr_primary()
        while True:
            kind = self.peek().kind
            if kind in ("*", "/") and min_prec <= 6:
                self.advance()
                right = self.expr(7)
                left = BinaryExpr(left.span.join(right.span), kind, left, right)
            elif kind in ("+", "-") and min_prec <= 5:
                self.advance()
                right = self.expr(6)
                left = BinaryExpr(left.span.join(right.span), kind, left, right)
            elif kind == "by" and self.peek(1).kind == "*" and min_prec <= 3:
                self.advance()
                span = left.span.join(token_span(self.advance(), self.last()))
                left = FunctionExpr(span, "group", (EmptyExpr(span), _as_function(left)), ())
            elif kind == "by" and self.peek(1).kind != "*" and min_prec <= 4:
                self.advance()
                right = self.expr(5)
                span = left.span.join(right.span)
                left = FunctionExpr(span, "group", (right, _as_function(left)), ())
            elif kind == "|" and min_prec <= 2:
                left = self.pipe(left)
            else:
                return left

    def pipe(self, first: Expr) -> Expr:
        items = [first]
        while self.at("|"):
            self.advance()
            items.append(self.expr(3))
        return FunctionExpr(first.span.join(items[-1].span), "chain", tuple(items), ())

    def expr_primary(self) -> Expr:
        token = self.peek()
        if token.kind == "(":
            self.advance()
            inner = self.expr()
            self.expect(")")
            return inner
        if token.kind == "-":
            self.advance()
            operand = self.expr(7)
            return NegateExpr(token_span(token, self.last()), operand)
        if token.kind in ("[", "{"):
            return self.list_or_time()
        if token.kind == IDENTIFIER and self.peek(1).kind == "(":
            return self.function()
        literal = literals.from_token(token)
        if literal is None:
            raise SyntaxFail(self.pos)
        self.advance()
        return literal

    def list_or_time(self) -> Expr:
        first = self.advance()
        closing = "]" if first.kind == "[" else "}"
        if first.kind == "{" and self.peek(1).kind == "}":
            literal = literals.from_braced(self.peek(), token_span(first, self.peek(1)))
            if literal is not None:
                self.advance()
                self.advance()
                return literal
        items: list[Expr] = []
        if not self.at(closing):
            items.append(self.expr())
            while self.at(","):
                self.advance()
                items.append(self.expr())
        self.expect(closing)
        return ListExpr(token_span(first, self.last()), tuple(items))

    def function(self) -> Expr:
        name = self.advance()
        self.expect("(")
        args: list[Expr] = []
        keywords: dict[str, Expr] = {}
        while True:
            if keywords or (self.at(IDENTIFIER) and self.peek(1).kind == "="):
                key = self.expect(IDENTIFIER)
                self.expect("=")
                if key.text in keywords:
                    raise token_span(key, key).error(f"duplicate keyword: {key.text}")
                keywords[key.text] = self.expr()
            else:
                args.append(self.expr())
            if not self.at(","):
                break
            self.advance()
        self.expect(")")
        span = token_span(name, self.last())
        return FunctionExpr(span, name.text, tuple(args), tuple(keywords.items()))


def _as_function(expr: Expr) -> FunctionExpr:
    """The left side of ``by`` must be an aggregation (a function or a bare name)."""
    if isinstance(expr, FunctionExpr):
        return expr
    if isinstance(expr, StringExpr):
        return FunctionExpr(expr.span, expr.value, (), ())
    raise expr.span.error(f"{expr.repr()} cannot be cast to function")
