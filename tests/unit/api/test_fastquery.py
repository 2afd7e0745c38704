"""The typed fast path of query bodies (``heroic_api.fastquery``) means what the document path
(``services.query_request``) means: whatever it accepts decodes to the same query, whatever the
document path refuses it leaves to it; the usual bodies take it, and what it decoded once it
remembers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroic_api.body import decode_json
from heroic_api.fastquery import REMEMBERED_BYTES, fast_batch, fast_query, read_batch, read_query
from heroic_api.services.query_request import MetricsQuery, batch_from_json, query_from_json
from heroic_core.errors import HeroicError
from tests.unit.core.fuzz_strategies import (
    AGGREGATIONS,
    FEATURES,
    FILTERS,
    JSON_VALUES,
    OPTIONS,
    RANGES,
    SENSIBLE_RANGES,
    TEXT,
    VALID_AGGREGATIONS,
    VALID_FILTERS,
    VALID_OPTIONS,
)

NOW = 1_700_000_040_000
RANGE = {"type": "absolute", "start": NOW - 3_600_000, "end": NOW}
USUAL = {
    "range": RANGE,
    "filter": ["and", ["key", "cpu"], ["=", "hostname", "host_3"]],
    "aggregation": {"type": "group", "of": ["hostname"], "each": {"type": "average"}},
}

_BODIES = st.fixed_dictionaries(
    {},
    optional={
        "range": st.one_of(SENSIBLE_RANGES, RANGES, st.none()),
        "filter": st.one_of(VALID_FILTERS, FILTERS, st.none()),
        "aggregation": st.one_of(VALID_AGGREGATIONS, AGGREGATIONS, st.none()),
        "source": st.one_of(st.sampled_from(["points", "spreads", "nope"]), TEXT, st.none()),
        "options": st.one_of(VALID_OPTIONS, OPTIONS, JSON_VALUES),
        "features": st.one_of(FEATURES, JSON_VALUES),
        "clientContext": JSON_VALUES,
        "noCache": JSON_VALUES,
        "key": st.one_of(TEXT, JSON_VALUES),
        "client_context": JSON_VALUES,
    },
)


def _document_path(raw: bytes, fallback: Any = None) -> MetricsQuery | None:
    try:
        return query_from_json(decode_json(raw), now=NOW, fallback_range=fallback)
    except HeroicError:
        return None


@settings(max_examples=500, deadline=None)
@given(_BODIES)
def test_the_fast_path_means_what_the_document_path_means(body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    fast, slow = fast_query(raw), _document_path(raw)
    if fast is not None:
        assert slow is not None, "the fast path accepted what the document path refuses"
        assert fast == slow


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", ""]), _BODIES, max_size=3), RANGES)
def test_a_fast_batch_means_what_the_document_path_means(
    queries: dict[str, Any], range_: Any
) -> None:
    raw = json.dumps({"queries": queries, "range": range_}).encode()
    fast = fast_batch(raw)
    try:
        slow = batch_from_json(decode_json(raw), now=NOW)
    except HeroicError:
        assert fast is None, "the fast path accepted a batch the document path refuses"
        return
    if fast is not None:
        assert fast == slow
        assert list(fast) == list(slow)


@pytest.mark.parametrize(
    "body",
    [
        USUAL,
        {**USUAL, "aggregation": {"type": "max", "size": "5m"}, "source": "points"},
        {**USUAL, "options": {"tracing": False, "seriesLimit": 10}, "features": ["shiftRange"]},
        {**USUAL, "clientContext": {"dashboard": "x"}, "noCache": True},
        {"range": {"type": "relative", "unit": "HOURS", "value": 1}},
        {"range": RANGE, "filter": None, "aggregation": None, "options": None},
    ],
    ids=["grouped", "source", "options", "client context", "relative", "nulls"],
)
def test_the_usual_bodies_take_the_fast_path(body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    fast = fast_query(raw)
    assert fast is not None
    assert fast == _document_path(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"query": "average(1m) from points(1h)"}',
        b'{"range": {"type": "relative", "unit": "HOURS", "value": 1}, "key": "cpu"}',
        b'{"client_context": 1}',
        b'{"filter": NaN}',
        b'{"filter": ["key", "\\ud800"]}',
        b'{"range": {"type": "absolute", "start": 1e999, "end": 2}}',
        b'{"filter": ["key", "\xff"]}',
        b'{"source": 3}',
        b'{"aggregation": {"type": "nope"}}',
        b"[]",
        b"",
    ],
    ids=[
        "hql", "legacy key", "snake case", "nan", "lone surrogate", "infinite", "bad utf-8",
        "number source", "unknown aggregation", "array", "empty",
    ],
)  # fmt: skip
def test_other_bodies_are_left_to_the_document_path(raw: bytes) -> None:
    assert fast_query(raw) is None


def test_a_repeated_key_takes_its_last_value_as_the_document_path_does() -> None:
    raw = b'{"range": {"type": "absolute", "start": 0, "end": 1}, "filter": ["key", "a"], '
    raw += b'"filter": ["key", "b"]}'
    fast = fast_query(raw)
    assert fast is not None
    assert fast == _document_path(raw)
    assert fast.filter == _document_path(b'{"filter": ["key", "b"]}').filter  # type: ignore[union-attr]


def test_a_filter_text_seen_before_is_not_decoded_again() -> None:
    first, again = fast_query(json.dumps(USUAL).encode()), fast_query(json.dumps(USUAL).encode())
    assert first is not None
    assert again is not None
    assert again.filter is first.filter
    assert again.aggregation is first.aggregation


def test_a_long_filter_text_is_decoded_every_time() -> None:
    hosts = [["=", "hostname", f"host_{i}"] for i in range(REMEMBERED_BYTES // 20)]
    body = json.dumps({**USUAL, "filter": ["or", *hosts]}).encode()
    first, again = fast_query(body), fast_query(body)
    assert first is not None
    assert again is not None
    assert again.filter == first.filter
    assert again.filter is not first.filter


def test_bodies_the_fast_path_leaves_are_read_by_the_document_path() -> None:
    hql = read_query(b'{"query": "max(1m) from points(1h)"}', now=NOW)
    assert hql == _document_path(b'{"query": "max(1m) from points(1h)"}')
    with pytest.raises(HeroicError, match="Could not resolve type id 'nope'"):
        read_query(b'{"aggregation": {"type": "nope"}}', now=NOW)
    batch = b'{"queries": {"a": {"query": "max(1m) from points(1h)"}}}'
    assert read_batch(batch, now=NOW) == batch_from_json(decode_json(batch), now=NOW)
