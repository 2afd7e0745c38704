"""Filter optimization rules (4.2) and term ordering (4.3), cases from upstream FilterTest."""

from __future__ import annotations

import pytest

from heroic_core.filters import (
    FALSE,
    TRUE,
    And,
    Filter,
    HasTag,
    MatchKey,
    MatchTag,
    Not,
    Or,
    Regex,
    StartsWith,
    optimize,
)

a, b, c = HasTag("a"), HasTag("b"), HasTag("c")
tag1a, tag1b = MatchTag("foo", "a"), MatchTag("foo", "b")
s1a, s1b = StartsWith("foo", "abc"), StartsWith("foo", "abcdef")


def and_(*terms: Filter) -> And:
    return And(terms)


def or_(*terms: Filter) -> Or:
    return Or(terms)


OPTIMIZE = [
    ("and sorts terms", and_(b, a), and_(a, b)),
    ("and removes duplicates", and_(a, b, b), and_(a, b)),
    ("and inlines nested and", and_(b, and_(a, b)), and_(a, b)),
    ("and flattens deeply", and_(a, and_(b, and_(c))), and_(a, b, c)),
    ("and applies De Morgan", and_(a, Not(or_(Not(b), Not(c)))), and_(a, b, c)),
    ("and with x and not x is false", and_(a, Not(a)), FALSE),
    ("and with conflicting tag values is false", and_(tag1a, tag1b), FALSE),
    ("and with conflicting keys is false", and_(MatchKey("x"), MatchKey("y")), FALSE),
    ("and with equal keys keeps one", and_(MatchKey("x"), MatchKey("x"), a),
     and_(a, MatchKey("x"))),
    ("and keeps the longer prefix", and_(s1a, s1b), s1b),
    ("and keeps the longer prefix in any order", and_(s1b, s1a), s1b),
    ("and keeps prefixes of different tags", and_(s1a, StartsWith("bar", "a")),
     and_(StartsWith("bar", "a"), s1a)),
    ("empty and is false", and_(), FALSE),
    ("single-term and is the term", and_(a), a),
    ("and keeps a false term", and_(a, FALSE), and_(a, FALSE)),
    ("or sorts terms", or_(b, a), or_(a, b)),
    ("or removes duplicates", or_(a, b, b), or_(a, b)),
    ("or inlines nested or", or_(a, or_(b, or_(c))), or_(a, b, c)),
    ("or applies De Morgan", or_(a, Not(and_(Not(b), Not(c)))), or_(a, b, c)),
    ("or with x or not x is true", or_(a, Not(a)), TRUE),
    ("or keeps the shorter prefix", or_(s1a, s1b), s1a),
    ("or keeps the shorter prefix in any order", or_(s1b, s1a), s1a),
    ("or keeps conflicting tag values", or_(tag1b, tag1a), or_(tag1a, tag1b)),
    ("empty or is true", or_(), TRUE),
    ("single-term or is the term", or_(a), a),
    ("not not x is x", Not(Not(a)), a),
    ("not optimizes its inner filter", Not(and_(b, a)), Not(and_(a, b))),
    ("and inside or is optimized", or_(and_(a, Not(a)), b), or_(b, FALSE)),
    ("leaf is unchanged", Regex("a", "b.*"), Regex("a", "b.*")),
]  # fmt: skip


@pytest.mark.parametrize(("name", "given", "expected"), OPTIMIZE, ids=[c[0] for c in OPTIMIZE])
def test_optimize_rule(name: str, given: Filter, expected: Filter) -> None:
    assert optimize(given) == expected


def test_optimize_is_idempotent() -> None:
    once = optimize(and_(or_(c, a), Not(or_(b, MatchKey("k"))), s1a, s1b))
    assert optimize(once) == once


def test_kinds_sort_by_operator_string() -> None:
    terms: list[Filter] = [
        Regex("t", "v"),
        TRUE,
        or_(a, b),
        Not(a),
        MatchKey("k"),
        FALSE,
        and_(a, b),
        StartsWith("t", "v"),
        MatchTag("t", "v"),
        HasTag("t"),
    ]
    ordered = [f.operator for f in sorted(terms)]
    assert ordered == ["+", "=", "^", "and", "false", "key", "not", "or", "true", "~"]


@pytest.mark.parametrize(
    ("low", "high"),
    [
        (MatchTag("a", "z"), MatchTag("b", "a")),
        (MatchTag("a", "a"), MatchTag("a", "b")),
        (StartsWith("a", "x"), StartsWith("a", "y")),
        (Regex("a", "x"), Regex("b", "a")),
        (HasTag("a"), HasTag("b")),
        (MatchKey("a"), MatchKey("b")),
        (and_(a, a), and_(a, b)),
        (and_(a, b), and_(a, b, c)),
        (or_(a), or_(b)),
        (Not(a), Not(b)),
        # Java compares UTF-16 code units: a surrogate pair sorts before U+FFFF.
        (HasTag("\U0001f600"), HasTag("\uffff")),
    ],
)
def test_same_kind_ordering(low: Filter, high: Filter) -> None:
    assert low < high
    assert not high < low


def test_not_terms_are_ordered_by_their_inner_filter() -> None:
    assert optimize(and_(Not(c), Not(a), b)).to_json() == [
        "and",
        ["+", "b"],
        ["not", ["+", "a"]],
        ["not", ["+", "c"]],
    ]
