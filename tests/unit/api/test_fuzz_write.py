"""Fuzz ``POST /write`` and ``PUT /metadata/series``: no body may cause a 5xx.

Series of every shape (wrong types, lone surrogates), point lists with hostile timestamps
(negative, fractional, beyond 64 bits) and values (NaN, infinities, strings), and collection
types other than ``points``. Whatever the write accepts must then be queryable.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.core.fuzz_strategies import HOSTILE_INTS, JSON_VALUES, NAMES, NOW, SCALARS, TEXT

from .fuzz_client import FUZZ, JSON, check, dumps, fuzz_client

TIMESTAMPS = st.one_of(
    st.integers(NOW - 86_400_000, NOW),
    HOSTILE_INTS,
    st.sampled_from([1.0, 1.5, -5, 1e30, 9.3e18, math.inf, math.nan, "1", None, True]),
)
VALUES = st.one_of(
    st.floats(),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, "1", None, True, [1], 10**30]),
)
POINTS = st.lists(st.one_of(st.tuples(TIMESTAMPS, VALUES).map(list), JSON_VALUES), max_size=5)
SERIES = st.one_of(
    st.fixed_dictionaries(
        {"key": st.one_of(TEXT, st.just("k\ud800"), SCALARS)},
        optional={
            "tags": st.one_of(st.dictionaries(NAMES, TEXT, max_size=3), JSON_VALUES),
            "resource": st.one_of(st.dictionaries(NAMES, TEXT, max_size=2), JSON_VALUES),
        },
    ),
    JSON_VALUES,
)
DATA = st.one_of(
    st.fixed_dictionaries(
        {"type": st.one_of(st.sampled_from(["points", "spreads", "Points"]), SCALARS)},
        optional={"data": st.one_of(POINTS, JSON_VALUES)},
    ),
    JSON_VALUES,
)
WRITES = st.fixed_dictionaries({}, optional={"series": SERIES, "data": DATA})


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    yield from fuzz_client()


def _query_back(client: TestClient) -> None:
    body = {"range": {"type": "absolute", "start": 0, "end": NOW}, "aggregation": {"type": "sum"}}
    check(client.post("/query/metrics", content=dumps(body), headers=JSON))
    raw = {"range": {"type": "absolute", "start": 0, "end": NOW}}
    check(client.post("/query/metrics", content=dumps(raw), headers=JSON))


@FUZZ
@given(body=st.one_of(WRITES, JSON_VALUES))
def test_write_never_fails_with_a_server_error(client: TestClient, body: Any) -> None:
    response = client.post("/write", content=dumps(body), headers=JSON)
    check(response)
    if response.status_code == 200:
        _query_back(client)


@FUZZ
@given(body=st.one_of(SERIES, JSON_VALUES))
def test_put_series_never_fails_with_a_server_error(client: TestClient, body: Any) -> None:
    check(client.put("/metadata/series", content=dumps(body), headers=JSON))
