"""HQL lexer: ANTLR longest-match with rule-order tie breaking (reference 5.1)."""

from __future__ import annotations

import pytest

from heroic_core.hql.lexer import tokenize

TOKENS = [
    ("and", [("and", "and")]),
    ("android", [("IDENTIFIER", "android")]),
    ("truex", [("IDENTIFIER", "truex")]),
    ("true", [("true", "true")]),
    ("200", [("INTEGER", "200")]),
    ("-5", [("INTEGER", "-5")]),
    ("- 5", [("-", "-"), ("INTEGER", "5")]),
    ("1.5", [("FLOAT", "1.5")]),
    (".5", [("FLOAT", ".5")]),
    ("1.", [("FLOAT", "1.")]),
    ("10.0.0.1", [("SIMPLE", "10.0.0.1")]),
    ("foo.example.com", [("SIMPLE", "foo.example.com")]),
    ("cpu-idle", [("SIMPLE", "cpu-idle")]),
    ("1a", [("SIMPLE", "1a")]),
    ("a/b", [("SIMPLE", "a/b")]),
    ("a / b", [("IDENTIFIER", "a"), ("/", "/"), ("IDENTIFIER", "b")]),
    ("5m", [("DURATION", "5m")]),
    ("5ms", [("DURATION", "5ms")]),
    ("-5H", [("DURATION", "-5H")]),
    ("1w", [("DURATION", "1w")]),
    ("5min", [("SIMPLE", "5min")]),
    ("--5m", [("DURATION", "--5m")]),
    ("--5", [("SIMPLE", "--5")]),
    ("12:00", [("TIME", "12:00")]),
    ("12:00:01.250", [("TIME", "12:00:01.250")]),
    ("2020-01-01", [("DATETIME", "2020-01-01")]),
    ("2020-01-01 12:00", [("DATETIME", "2020-01-01 12:00")]),
    ("$key", [("$key", "$key")]),
    ("$keys", [("REFERENCE", "$keys")]),
    ("$now", [("REFERENCE", "$now")]),
    ('"a b"', [("QUOTED", '"a b"')]),
    ('"a\\"b"', [("QUOTED", '"a\\"b"')]),
    ('"open', [("UNTERMINATED", '"open')]),
    ("!= !~ !^ !", [("!=", "!="), ("!~", "!~"), ("!^", "!^"), ("!", "!")]),
    ("a=b", [("IDENTIFIER", "a"), ("=", "="), ("IDENTIFIER", "b")]),
    ("# comment\nx", [("IDENTIFIER", "x")]),
    ("@", [("ERROR", "@")]),
    ("a|b", [("IDENTIFIER", "a"), ("|", "|"), ("IDENTIFIER", "b")]),
]


@pytest.mark.parametrize(("text", "expected"), TOKENS, ids=[t for t, _ in TOKENS])
def test_tokenize(text: str, expected: list[tuple[str, str]]) -> None:
    tokens = tokenize(text)
    assert tokens[-1].kind == "EOF"
    assert [(t.kind, t.text) for t in tokens[:-1]] == expected


def test_token_positions_are_one_based_lines_and_zero_based_columns() -> None:
    tokens = tokenize('a =\n  "x\ny" b')
    assert [(t.text, t.line, t.col, t.end_line, t.end_col) for t in tokens] == [
        ("a", 1, 0, 1, 0),
        ("=", 1, 2, 1, 2),
        ('"x\ny"', 2, 2, 3, 1),
        ("b", 3, 3, 3, 3),
        ("<EOF>", 3, 4, 3, 4),
    ]
