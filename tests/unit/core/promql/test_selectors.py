"""Matchers as Prometheus applies them, and the filter pushed to the metadata backends: it
must select a superset of what the matchers select, and exactly that when it says so."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heroic_core.model import Series
from heroic_core.promql.errors import PromQLError
from heroic_core.promql.names import labels_of
from heroic_core.promql.selectors import LabelMatcher, MatchOp, matches_all, to_filter

_VALUES = st.sampled_from(["", "a", "b", "ab", "a.b"])
_OPS = st.sampled_from(list(MatchOp))
_PATTERNS = st.sampled_from(["a", "a|b", "a.*", ".*", "b|", "ab|a.b", "(a)"])


@st.composite
def matchers(draw: st.DrawFn) -> LabelMatcher:
    op = draw(_OPS)
    name = draw(st.sampled_from(["__name__", "x", "y"]))
    value = draw(_PATTERNS if op in (MatchOp.REGEX, MatchOp.NOT_REGEX) else _VALUES)
    return LabelMatcher(name, op, value)


@st.composite
def series(draw: st.DrawFn) -> Series:
    key = draw(st.sampled_from(["a", "b", "ab"]))
    tags = {t: v for t in ("x", "y") if (v := draw(_VALUES))}
    return Series(key, tags)


@given(st.lists(matchers(), min_size=1, max_size=3), series())
def test_pushdown_selects_a_superset_and_exactly_when_exact(
    selected: list[LabelMatcher], candidate: Series
) -> None:
    pushdown = to_filter(selected)
    wanted = matches_all(selected, labels_of(candidate))
    if wanted:
        assert pushdown.filter.matches(candidate)
    if pushdown.exact:
        assert pushdown.filter.matches(candidate) == wanted


def test_missing_label_is_the_empty_string() -> None:
    labels = {"__name__": "up"}
    assert LabelMatcher("job", MatchOp.NOT_EQUAL, "api").matches(labels)
    assert LabelMatcher("job", MatchOp.EQUAL, "").matches(labels)
    assert LabelMatcher("job", MatchOp.REGEX, "api|").matches(labels)
    assert not LabelMatcher("job", MatchOp.REGEX, "api").matches(labels)


def test_regex_is_anchored() -> None:
    assert not LabelMatcher("job", MatchOp.REGEX, "ap").matches({"job": "api"})
    assert LabelMatcher("job", MatchOp.REGEX, "ap.").matches({"job": "api"})


def test_invalid_regex_names_itself() -> None:
    with pytest.raises(PromQLError, match=r"invalid regular expression '\('"):
        LabelMatcher("job", MatchOp.REGEX, "(")
