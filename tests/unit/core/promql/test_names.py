"""The name mapping between Heroic series and Prometheus label sets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heroic_core.model import Series
from heroic_core.promql.names import (
    EscapedNameError,
    NameEscaping,
    escape,
    labels_of,
    series_of,
    unescape,
)


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("cpu_usage", "cpu_usage"),
        ("cpu.usage", "U__cpu_2e_usage"),
        ("a_b.c", "U__a__b_2e_c"),
        ("9lives", "U___39_lives"),
        ("U__x", "U__U____x"),
    ],
)
def test_values_escaping_matches_prometheus_rule(name: str, escaped: str) -> None:
    assert escape(name, NameEscaping.VALUES) == escaped
    assert unescape(escaped, NameEscaping.VALUES) == name


@given(st.text(min_size=1, max_size=30))
def test_values_escaping_round_trips(name: str) -> None:
    escaped = escape(name, NameEscaping.VALUES)
    assert all(c.isascii() and (c.isalnum() or c in "_:") for c in escaped)
    assert unescape(escaped, NameEscaping.VALUES) == name


def test_utf8_names_pass_unchanged() -> None:
    assert escape("cpu.usage", NameEscaping.ALLOW_UTF8) == "cpu.usage"
    assert unescape("U__cpu_2e_usage", NameEscaping.ALLOW_UTF8) == "U__cpu_2e_usage"


def test_bad_escaped_name_is_an_error_naming_it() -> None:
    with pytest.raises(EscapedNameError, match="U__a_b"):
        unescape("U__a_b", NameEscaping.VALUES)


def test_series_and_labels_are_each_others_inverse() -> None:
    series = Series("cpu.usage", {"host.name": "a", "role": "db"})
    labels = labels_of(series)
    assert labels == {"__name__": "cpu.usage", "host.name": "a", "role": "db"}
    assert series_of(labels) == series


def test_a_label_set_without_a_name_is_refused() -> None:
    with pytest.raises(ValueError, match="__name__"):
        series_of({"host": "a"})
    assert series_of({"__name__": "x", "empty": ""}) == Series("x")
