"""HQL expression evaluation (reference 5.3): arithmetic, durations, time literals, errors."""

from __future__ import annotations

import datetime as dt

import pytest

from heroic_core.errors import QueryParseError
from heroic_core.hql.ast import (
    DoubleExpr,
    DurationExpr,
    Expr,
    InstantExpr,
    IntegerExpr,
    ListExpr,
    StringExpr,
)
from heroic_core.hql.evaluate import Scope, evaluate
from heroic_core.hql.parser import parse_expression_syntax

# 2020-09-13T12:26:40Z
NOW = 1_600_000_000_000


def ms(iso: str) -> int:
    moment = dt.datetime.fromisoformat(iso).replace(tzinfo=dt.UTC)
    return int(moment.timestamp() * 1000)


def value_of(text: str, now: int = NOW) -> object:
    result: Expr = evaluate(parse_expression_syntax(text), Scope(now))
    if isinstance(result, DurationExpr):
        return (result.value, result.unit)
    if isinstance(result, ListExpr):
        return [value_of_expr(i) for i in result.items]
    return value_of_expr(result)


def value_of_expr(e: Expr) -> object:
    if isinstance(e, IntegerExpr | DoubleExpr | StringExpr):
        return (e.type_name, e.value)
    if isinstance(e, InstantExpr):
        return ("instant", e.millis)
    return e.repr()


EVALUATIONS = [
    ("1 + 2 + 3 - 3", ("integer", 3)),
    ("1 + 2 * 3", ("integer", 7)),
    ("(1 + 2) * 3", ("integer", 9)),
    ("7 / 2", ("integer", 3)),
    ("-7 / 2", ("integer", -3)),  # Java truncating division
    ("- 5", ("integer", -5)),
    ("-(2 * 3)", ("integer", -6)),
    ("9223372036854775807 + 1", ("integer", -(2**63))),  # long overflow wraps
    ("1 + 1.9", ("integer", 2)),  # the right operand takes the left operand's type
    ("1.5 + 1", ("double", 2.5)),
    ("1.0 / 0", ("double", float("inf"))),
    ("10 + 5m", ("integer", 300_010)),  # duration cast to integer is milliseconds
    ("foo + bar", ("string", "foobar")),
    ('"a b" + c', ("string", "a bc")),
    ("[foo] + [bar]", [("string", "foo"), ("string", "bar")]),
    ("[foo] + bar", [("string", "foo"), ("string", "bar")]),
    ("1H - 5m", (55, "MINUTES")),
    ("3H + 4H", (7, "HOURS")),
    ("119m - 1H", (59, "MINUTES")),
    ("1H + 1m - 1m + 10H", (660, "MINUTES")),
    ("1s + 500ms", (1500, "MILLISECONDS")),
    ("1d + 1h", (25, "HOURS")),
    ("1h + 1000", (3_601_000, "MILLISECONDS")),
    ("1h / 2", (30, "MINUTES")),
    ("1d / 3", (8, "HOURS")),
    ("1h / 7", (514_285, "MILLISECONDS")),
    ("-5m", (-5, "MINUTES")),
    ("- 5m", (-5, "MINUTES")),
    ("$now", ("integer", NOW)),
    ("$now - 1h", ("integer", NOW - 3_600_000)),
    ("$now - 2 * 1000", ("integer", NOW - 2000)),
    ("{2014-01-01}", ("instant", ms("2014-01-01T00:00:00"))),
    ("{2014-01-01 10:15}", ("instant", ms("2014-01-01T10:15:00"))),
    ("{2014-01-01 10:15:30}", ("instant", ms("2014-01-01T10:15:30"))),
    ("{2014-01-01 10:15:30.250}", ("instant", ms("2014-01-01T10:15:30.250"))),
    ("{12:30}", ("instant", ms("2020-09-13T12:30:00"))),  # time of day on $now's UTC date
    ("{00:00:01.500}", ("instant", ms("2020-09-13T00:00:01.500"))),
    ("[1, 2]", [("integer", 1), ("integer", 2)]),
    ("{1, 2}", [("integer", 1), ("integer", 2)]),
    ("[]", []),
    ("[$now]", [("integer", NOW)]),
]


@pytest.mark.parametrize(("text", "expected"), EVALUATIONS, ids=[t for t, _ in EVALUATIONS])
def test_evaluate(text: str, expected: object) -> None:
    assert value_of(text) == expected


def test_instant_plus_instant_adds_epoch_millis() -> None:
    # upstream QueryParserTest.testParseDateTime, with $now = 0
    assert value_of("{2014-01-01 00:00:00.000} + {00:01}", now=0) == (
        "instant",
        ms("2014-01-01T00:01:00"),
    )


ERRORS = [
    ("$foo", "1:0: cannot find reference (foo) in the current scope"),
    ("5 / 0", "1:4: division by zero"),
    ("1h / 0", "1:5: division by zero"),
    ("foo - bar", '1:0: "foo": unsupported binary operator: -'),
    ("1m * 2", "1:0: <1m>: unsupported binary operator: *"),
    ("- foo", '1:2: "foo": unsupported unary operator: -'),
    ("1m + foo", '1:5: "foo" cannot be cast to duration'),
    ("{2014-01-01} - 1h", "1:0: {2014-01-01T00:00:00Z}: unsupported binary operator: -"),
    ("99999999999999999999", "1:0: integer out of range: 99999999999999999999"),
    ("{25:00}", "1:0: Invalid instant: 25:00"),
    ("{1:00}", "1:0: Invalid instant: 1:00"),
    ("{2020-02-30}", "1:0: Invalid dateTime: 2020-02-30"),
    ("{2020-01-01 12:00:00.5}", "1:0: Invalid dateTime: 2020-01-01 12:00:00.5"),
    ("99999999999m", "1:0: duration out of range: 99999999999m"),
    ("--5m", "1:0: invalid duration: --5m"),
    ("foo(", "1:4: unexpected token: <EOF>"),
    ("foo()", "1:4: unexpected token: )"),
    ("foo(a=1, 2)", "1:9: unexpected token: 2"),
    ("foo(a=1, a=2)", "1:9: duplicate keyword: a"),
    ("1 +", "1:3: unexpected token: <EOF>"),
    ("%1", "1:0: unexpected token: %"),
]


@pytest.mark.parametrize(("text", "message"), ERRORS, ids=[t for t, _ in ERRORS])
def test_evaluation_errors(text: str, message: str) -> None:
    with pytest.raises(QueryParseError) as info:
        evaluate(parse_expression_syntax(text), Scope(NOW))
    assert info.value.message == message
