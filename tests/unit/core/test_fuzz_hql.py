"""Property tests of the HQL lexer, parser and evaluator (reference 5).

Any text parses or fails with a positioned ``QueryParseError``; parsed filters survive a JSON
round trip; the lexer covers its input. Deep nesting, huge instants and oversized aggregations
are parse errors, never crashes.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heroic_core.errors import QueryParseError
from heroic_core.filters import nesting_depth
from heroic_core.hql import parse_aggregation, parse_filter, parse_filter_json, parse_query
from heroic_core.hql.ast import iso_instant
from heroic_core.hql.lexer import _RULES as RULES
from heroic_core.hql.lexer import EOF, ERROR, tokenize
from heroic_core.hql.parser import MAX_LENGTH
from heroic_core.limits import MAX_FILTER_DEPTH
from heroic_core.model import Series
from tests.unit.core.fuzz_strategies import (
    HQL,
    NOW,
    VALID_HQL,
    fuzz_settings,
    hql_aggregation,
    hql_filter,
)

FUZZ = fuzz_settings(300)
SERIES = [Series("cpu", {"host": "a b", "site": "lon"}), Series("", {"role": "", "x": "10.0.0.1"})]


def _positioned(error: QueryParseError, text: str) -> None:
    assert error.detail
    assert 1 <= error.line <= text.count("\n") + 1
    assert error.col >= 0
    assert (error.line_end, error.col_end) >= (error.line, error.col)


@FUZZ
@given(text=st.one_of(HQL, VALID_HQL))
def test_any_text_parses_as_a_query_or_gives_a_positioned_error(text: str) -> None:
    try:
        parsed = parse_query(text, now_ms=NOW)
    except QueryParseError as e:
        _positioned(e, text)
        return
    if parsed.filter is not None:
        assert nesting_depth(parsed.filter) <= MAX_FILTER_DEPTH
    parsed.to_json()


@FUZZ
@given(text=st.one_of(hql_filter(), HQL))
def test_parsed_filters_keep_their_meaning_through_json(text: str) -> None:
    try:
        result = parse_filter(text)
    except QueryParseError as e:
        _positioned(e, text)
        return
    again = parse_filter_json(result.to_json())
    for series in SERIES:
        assert again.matches(series) == result.matches(series)


@FUZZ
@given(text=st.one_of(hql_aggregation(), HQL))
def test_any_text_parses_as_an_aggregation_or_gives_a_positioned_error(text: str) -> None:
    try:
        result = parse_aggregation(text, now_ms=NOW)
    except QueryParseError as e:
        _positioned(e, text)
        return
    assert isinstance(result["type"], str)


@FUZZ
@given(text=st.one_of(HQL, st.text()))
def test_lexer_covers_its_input_in_order(text: str) -> None:
    tokens = tokenize(text)
    assert tokens[-1].kind == EOF
    positions = [(t.line, t.col) for t in tokens]
    assert positions == sorted(positions)


def _reference_kinds(text: str) -> list[tuple[str, str]]:
    """Tokens by the plain ANTLR rule: every rule tried, longest match, first rule on ties."""
    out, pos = [], 0
    while pos < len(text):
        kind, end = ERROR, pos + 1
        for rule, pattern, _ in RULES:
            m = pattern.match(text, pos)
            if m is not None and (m.end() > end or kind == ERROR):
                kind, end = rule, m.end()
        if kind != "SKIP":
            out.append((kind, text[pos:end]))
        pos = end
    return out


@FUZZ
@given(
    text=st.one_of(
        HQL,
        st.text(alphabet=st.characters(max_codepoint=127)),
        st.text(alphabet='-.019:msdhHwMy"\\ubfaAz$#\n ,()[]{}!=~^|*/+;_é', max_size=24),
    )
)
def test_lexer_tries_only_rules_that_can_start_at_a_character(text: str) -> None:
    tokens = [(t.kind, t.text) for t in tokenize(text)[:-1]]
    assert tokens == _reference_kinds(text)


@FUZZ
@given(millis=st.integers(-(2**63), 2**63 - 1))
def test_every_java_long_instant_has_an_iso_text(millis: int) -> None:
    text = iso_instant(millis)
    assert text.endswith("Z")
    assert "T" in text


@pytest.mark.parametrize(
    ("millis", "text"),
    [
        (0, "1970-01-01T00:00:00Z"),
        (253_402_300_799_999, "9999-12-31T23:59:59.999000Z"),
        (253_402_300_800_000, "10000-01-01T00:00:00Z"),
        (2**63 - 1, "292278994-08-17T07:12:55.807000Z"),
        (-(2**63), "-292275055-05-16T16:47:04.192000Z"),
    ],
)
def test_instants_outside_python_datetime_keep_java_years(millis: int, text: str) -> None:
    assert iso_instant(millis) == text


@pytest.mark.parametrize(
    "text",
    [
        "opts(" * 101 + "sum" + ")" * 101,
        "group([a], " * 101 + "sum" + ")" * 101,
        "(" * 101 + "sum" + ") by host" * 101,
    ],
)
def test_aggregation_deeper_than_100_json_levels_is_a_parse_error(text: str) -> None:
    with pytest.raises(QueryParseError, match=r"aggregation is nested too deeply \(at most 100"):
        parse_query(text, now_ms=NOW)


def test_long_chain_stays_flat_and_is_accepted() -> None:
    text = " | ".join(["sum by host"] * 500)
    aggregation = parse_aggregation(text, now_ms=NOW)
    assert len(aggregation["chain"]) == 500


def test_filter_deeper_than_max_depth_is_a_parse_error() -> None:
    text = "a = b"
    for level in range(MAX_FILTER_DEPTH):
        text = f"({text}) {'and' if level % 2 else 'or'} +t{level}"
    with pytest.raises(QueryParseError) as info:
        parse_filter(text)
    assert info.value.detail == "filter is nested too deeply (at most 100 levels)"


def test_text_longer_than_max_length_is_refused_before_lexing() -> None:
    text = "a = b and " * (MAX_LENGTH // 10) + "c = d"
    with pytest.raises(QueryParseError) as info:
        parse_filter(text)
    assert info.value.detail == f"query is too long ({len(text)} characters, at most 262144)"
    assert (info.value.line, info.value.col) == (1, 0)


def test_text_of_max_length_is_parsed() -> None:
    text = "a = b and " * (MAX_LENGTH // 10 - 1) + "c = d"
    assert len(text) <= MAX_LENGTH
    assert parse_filter(text).to_json() == ["and", ["=", "a", "b"], ["=", "c", "d"]]
