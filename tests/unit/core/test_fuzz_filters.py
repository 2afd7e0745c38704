"""Property tests of filter decoding and optimization (reference 4).

Any JSON document either decodes to a filter or fails with ``JsonMappingError``; a decoded
filter is no deeper than ``MAX_FILTER_DEPTH`` and matches series without raising; optimizing it
again or decoding its JSON form again keeps its meaning.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heroic_core.errors import JsonMappingError
from heroic_core.filters import Filter, nesting_depth, optimize
from heroic_core.hql import parse_filter_json
from heroic_core.limits import MAX_FILTER_DEPTH
from heroic_core.model import Series
from tests.unit.core.fuzz_strategies import FILTERS, JSON_VALUES, VALID_FILTERS, fuzz_settings

FUZZ = fuzz_settings(300)
SERIES = [
    Series("cpu", {"host": "a", "site": "lon", "role": "db"}),
    Series("", {"": "", "é": "a b", "$key": "x"}),
    Series("odd", {"what": "nan", "host": "\x00"}),
]


def _decode(document: Any) -> Filter | None:
    try:
        return parse_filter_json(document, "filter")
    except JsonMappingError as e:
        _named(e)
        return None


def _named(error: JsonMappingError) -> None:
    assert error.message
    assert error.path.startswith("filter")


@FUZZ
@given(document=st.one_of(FILTERS, JSON_VALUES))
def test_any_document_decodes_or_is_a_json_mapping_error(document: Any) -> None:
    result = _decode(document)
    if result is not None:
        assert nesting_depth(result) <= MAX_FILTER_DEPTH
        for series in SERIES:
            assert isinstance(result.matches(series), bool)


@FUZZ
@given(document=st.one_of(VALID_FILTERS, FILTERS))
def test_optimizing_and_re_decoding_keep_the_meaning(document: Any) -> None:
    # Not a structural fixpoint: upstream checks not(not X) before optimizing X, so
    # ["not", {"type": "and", "filters": [["not", f]]}] stays a double negation (as upstream).
    result = _decode(document)
    if result is not None:
        again = parse_filter_json(result.to_json())
        for series in SERIES:
            expected = result.matches(series)
            assert optimize(result).matches(series) == expected
            assert again.matches(series) == expected


def test_double_negation_hidden_by_a_single_term_and_stays_as_upstream_leaves_it() -> None:
    document = {"type": "not", "filter": {"type": "and", "filters": [["not", ["key", "h"]]]}}
    assert parse_filter_json(document).to_json() == ["not", ["not", ["key", "h"]]]


@pytest.mark.parametrize("depth", [MAX_FILTER_DEPTH + 1, 2000])
def test_alternating_and_or_deeper_than_max_depth_is_a_json_error(depth: int) -> None:
    document: Any = ["=", "a", "b"]
    for level in range(depth - 1):
        document = ["and" if level % 2 else "or", document, ["+", f"t{level}"]]
    with pytest.raises(JsonMappingError) as info:
        parse_filter_json(document, "filter")
    assert info.value.message == "filter is nested too deeply (at most 100 levels)"
    assert info.value.path == "filter"


def test_filter_exactly_max_depth_deep_is_accepted() -> None:
    document: Any = ["=", "a", "b"]
    for level in range(MAX_FILTER_DEPTH - 1):
        document = ["and" if level % 2 else "or", document, ["+", f"t{level}"]]
    assert nesting_depth(parse_filter_json(document)) == MAX_FILTER_DEPTH


def test_double_negations_do_not_count_towards_the_depth() -> None:
    document: Any = ["=", "a", "b"]
    for _ in range(300):
        document = ["not", document]
    assert parse_filter_json(document).to_json() == ["=", "a", "b"]
