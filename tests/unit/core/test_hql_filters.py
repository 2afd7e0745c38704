"""HQL filter syntax (reference 5.2): every form, the precedence quirk, errors with positions."""

from __future__ import annotations

from typing import Any

import pytest

from heroic_core.errors import QueryParseError
from heroic_core.hql import parse_filter, parse_filter_json

FORMS = [
    ("a = a", ["=", "a", "a"]),
    ("a != a", ["not", ["=", "a", "a"]]),
    ("!(a = a)", ["not", ["=", "a", "a"]]),
    ("$key = a", ["key", "a"]),
    ("$key != a", ["not", ["key", "a"]]),
    ("+a", ["+", "a"]),
    ("a ^ b", ["^", "a", "b"]),
    ("a !^ b", ["not", ["^", "a", "b"]]),
    ("a ~ b", ["~", "a", "b"]),
    ('a ~ "b.*"', ["~", "a", "b.*"]),
    ('a !~ "b.*"', ["not", ["~", "a", "b.*"]]),
    ("a in [a, b, c]", ["or", ["=", "a", "a"], ["=", "a", "b"], ["=", "a", "c"]]),
    ("a in {b, c}", ["or", ["=", "a", "b"], ["=", "a", "c"]]),
    ("a in b", ["=", "a", "b"]),
    ("a not in [b, c]", ["not", ["or", ["=", "a", "b"], ["=", "a", "c"]]]),
    ("a in []", ["true"]),
    ("true", ["true"]),
    ("false", ["false"]),
    ("a = a and b = b", ["and", ["=", "a", "a"], ["=", "b", "b"]]),
    ("a = a or b = b", ["or", ["=", "a", "a"], ["=", "b", "b"]]),
    ("(a = b)", ["=", "a", "b"]),
    ("(a) = (b)", ["=", "a", "b"]),
    (
        "((a = b) or (c = d)) and e = f",
        ["and", ["=", "e", "f"], ["or", ["=", "a", "b"], ["=", "c", "d"]]],
    ),
    ("host = foo.example.com", ["=", "host", "foo.example.com"]),
    ("ip = 10.0.0.1", ["=", "ip", "10.0.0.1"]),
    ("what = cpu-idle", ["=", "what", "cpu-idle"]),
    ('status = "200"', ["=", "status", "200"]),
    ("role = -foo", ["=", "role", "-foo"]),
    ('"quoted key" = x', ["=", "quoted key", "x"]),
    ('a = "\\b\\t\\n\\f\\r\\"\\\'\\\\"', ["=", "a", "\b\t\n\f\r\"'\\"]),
    ('a = "\\u4040"', ["=", "a", "\u4040"]),
    ('a = "\\ud83d\\ude00"', ["=", "a", "\U0001f600"]),
    ("a = b # trailing comment", ["=", "a", "b"]),
    ("a = b\n  and\tc = d", ["and", ["=", "a", "b"], ["=", "c", "d"]]),
    ("a = b and $key = k and +c", ["and", ["+", "c"], ["=", "a", "b"], ["key", "k"]]),
    ("a = x and a = y", ["false"]),
    ("a = x or !(a = x)", ["true"]),
]


@pytest.mark.parametrize(("text", "expected"), FORMS, ids=[t for t, _ in FORMS])
def test_filter_form(text: str, expected: list[Any]) -> None:
    assert parse_filter(text).to_json() == expected


PRECEDENCE = [
    # `or` binds tighter than `and`
    ("a=x and b=y or c=z", "a=x and (b=y or c=z)"),
    ("a=x or b=y and c=z", "(a=x or b=y) and c=z"),
    ("a=x and b=y or c=z and d=w", "a=x and (b=y or c=z) and d=w"),
    # `!` negates everything to its right
    ("!a=a and b=b", "!(a=a and b=b)"),
    ("b=b and !a=a or c=c", "b=b and !(a=a or c=c)"),
    ("!a=a or b=b", "!(a=a or b=b)"),
]


@pytest.mark.parametrize(("text", "equivalent"), PRECEDENCE)
def test_precedence_quirk(text: str, equivalent: str) -> None:
    assert parse_filter(text) == parse_filter(equivalent)


def test_or_binds_tighter_than_and_in_json() -> None:
    assert parse_filter("a=x and b=y or c=z").to_json() == [
        "and",
        ["=", "a", "x"],
        ["or", ["=", "b", "y"], ["=", "c", "z"]],
    ]


def test_hql_filter_equals_the_q_operator() -> None:
    text = "host ^ db and (site = lon or site = ams) and !role = web"
    assert parse_filter_json(["q", text]) == parse_filter(text)


ERRORS = [
    # (text, message, (line, col, line_end, col_end))
    ("", "1:0: unexpected token: <EOF>", (1, 0, 1, 0)),
    ("a =", "1:3: unexpected token: <EOF>", (1, 3, 1, 3)),
    ("a = b c", "1:6: unexpected token: c", (1, 6, 1, 6)),
    ("a = b and\n  @", "2:2: unexpected token: @", (2, 2, 2, 2)),
    ('a = "open', '1:4: unterminated string: "open', (1, 4, 1, 4)),
    ("a == b", "1:3: unexpected token: =", (1, 3, 1, 3)),
    ("(a = b", "1:6: unexpected token: <EOF>", (1, 6, 1, 6)),
    ("$key a", "1:5: unexpected token: a", (1, 5, 1, 5)),
    ("a not b", "1:6: unexpected token: b", (1, 6, 1, 6)),
    ("a = 12:00", "1:4: unexpected token: 12:00", (1, 4, 1, 4)),
    ("a = b and", "1:9: unexpected token: <EOF>", (1, 9, 1, 9)),
]


@pytest.mark.parametrize(("text", "message", "position"), ERRORS, ids=[e[0] for e in ERRORS])
def test_syntax_error_message_and_position(
    text: str, message: str, position: tuple[int, int, int, int]
) -> None:
    with pytest.raises(QueryParseError) as info:
        parse_filter(text)
    e = info.value
    assert (e.message, (e.line, e.col, e.line_end, e.col_end)) == (message, position)


SEMANTIC_ERRORS = [
    ("status = 200", "1:9: expected a string, but got integer 200", (1, 9, 1, 11)),
    ("a = 5m", "1:4: expected a string, but got duration <5m>", (1, 4, 1, 5)),
    ("$key = $now", "1:7: expected a string, but got reference $now", (1, 7, 1, 10)),
    ("a = b + c", "1:4: expected a string, but got binary", (1, 4, 1, 8)),
    ("a in 5", "1:5: Cannot use type integer in expression", (1, 5, 1, 5)),
    ("a in [b, 5]", "1:9: 5 cannot be cast to string", (1, 9, 1, 9)),
    ("a not in b", "1:9: expected a list, but got string", (1, 9, 1, 9)),
    ("x = 1w", "1:4: illegal unit: w", (1, 4, 1, 5)),
    ("x =\n 3y", "2:1: illegal unit: y", (2, 1, 2, 2)),
    ('a ~ "("', "1:4: invalid regex '('", (1, 4, 1, 6)),
]


@pytest.mark.parametrize(
    ("text", "prefix", "position"), SEMANTIC_ERRORS, ids=[e[0] for e in SEMANTIC_ERRORS]
)
def test_semantic_error_message_and_position(
    text: str, prefix: str, position: tuple[int, int, int, int]
) -> None:
    with pytest.raises(QueryParseError) as info:
        parse_filter(text)
    e = info.value
    assert e.message.startswith(prefix)
    assert (e.line, e.col, e.line_end, e.col_end) == position


def test_long_and_chain_is_one_flat_term() -> None:
    text = " and ".join(f"t{i} = v" for i in range(2000))
    result = parse_filter(text)
    assert result.operator == "and"
    assert len(result.to_json()) == 2001


def test_too_deeply_nested_filter_is_a_parse_error() -> None:
    with pytest.raises(QueryParseError, match="nested too deeply"):
        parse_filter("(" * 3000 + "a = b" + ")" * 3000)
