"""Fuzz ``POST /query/metrics`` and ``/query/batch``: no input may cause a 5xx.

JSON bodies combine generated ranges, filters, aggregations, options and features (valid and
not); plain-text bodies are generated HQL. Every answer is < 500 and errors carry upstream's
body (reference 2.2).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.core.fuzz_strategies import (
    AGGREGATIONS,
    FEATURES,
    FILTERS,
    HQL,
    JSON_VALUES,
    OPTIONS,
    RANGES,
    SENSIBLE_RANGES,
    TEXT,
    VALID_AGGREGATIONS,
    VALID_FEATURES,
    VALID_FILTERS,
    VALID_HQL,
    VALID_OPTIONS,
)

from .fuzz_client import FUZZ, JSON, check, dumps, fuzz_client
from .fuzz_client import TEXT as TEXT_HEADERS

QUERY_BODIES = st.fixed_dictionaries(
    {},
    optional={
        "range": st.one_of(SENSIBLE_RANGES, RANGES),
        "filter": FILTERS,
        "aggregation": AGGREGATIONS,
        "source": st.one_of(st.sampled_from(["points", "spreads", "nope"]), TEXT),
        "options": st.one_of(OPTIONS, JSON_VALUES),
        "features": st.one_of(FEATURES, JSON_VALUES),
        "query": st.one_of(HQL, JSON_VALUES),
        "key": st.one_of(TEXT, JSON_VALUES),
        "tags": st.one_of(st.dictionaries(TEXT, TEXT, max_size=2), JSON_VALUES),
        "aggregators": st.one_of(st.lists(AGGREGATIONS, max_size=2), JSON_VALUES),
        "clientContext": JSON_VALUES,
    },
)
EVALUATED = st.fixed_dictionaries(
    {"range": SENSIBLE_RANGES, "aggregation": st.one_of(VALID_AGGREGATIONS, AGGREGATIONS)},
    optional={"filter": VALID_FILTERS, "options": VALID_OPTIONS, "features": VALID_FEATURES},
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    yield from fuzz_client()


@FUZZ
@given(body=QUERY_BODIES)
def test_query_json_never_fails_with_a_server_error(client: TestClient, body: Any) -> None:
    check(client.post("/query/metrics", content=dumps(body), headers=JSON))


@FUZZ
@given(body=EVALUATED)
def test_query_aggregating_seeded_data_never_fails(client: TestClient, body: Any) -> None:
    result = check(client.post("/query/metrics", content=dumps(body), headers=JSON))
    if isinstance(result, dict) and "result" in result:
        assert isinstance(result["result"], list)


@FUZZ
@given(text=HQL)
def test_query_hql_never_fails_with_a_server_error(client: TestClient, text: str) -> None:
    check(client.post("/query/metrics", content=text.encode("utf-8", "surrogatepass"),
                      headers=TEXT_HEADERS))  # fmt: skip


@FUZZ
@given(queries=st.dictionaries(TEXT, st.one_of(QUERY_BODIES, JSON_VALUES), max_size=3),
       range_=st.one_of(st.none(), RANGES))  # fmt: skip
def test_batch_never_fails_with_a_server_error(
    client: TestClient, queries: dict[str, Any], range_: Any
) -> None:
    body: dict[str, Any] = {"queries": queries}
    if range_ is not None:
        body["range"] = range_
    check(client.post("/query/batch", content=dumps(body), headers=JSON))


@FUZZ
@given(text=VALID_HQL)
def test_query_grammatical_hql_never_fails(client: TestClient, text: str) -> None:
    check(client.post("/query/metrics", content=text.encode(), headers=TEXT_HEADERS))
