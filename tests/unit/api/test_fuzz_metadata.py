"""Fuzz the ``/metadata/*`` endpoints (series, count, delete, keys, tags, suggest).

Common fields (filter, range, limit) and endpoint fields (key, value, match, groupLimit,
exclude) take valid and hostile values; every answer must be < 500 with upstream's error body.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from tests.unit.core.fuzz_strategies import (
    FILTERS,
    JSON_VALUES,
    NUMBERS,
    RANGES,
    SENSIBLE_RANGES,
    TEXT,
    VALID_FILTERS,
)

from .fuzz_client import FUZZ, JSON, check, dumps, fuzz_client

ENDPOINTS = [
    ("POST", "/metadata/series"),
    ("POST", "/metadata/series-count"),
    ("POST", "/metadata/keys"),
    ("POST", "/metadata/tags"),
    ("POST", "/metadata/key-suggest"),
    ("POST", "/metadata/tag-suggest"),
    ("POST", "/metadata/tag-value-suggest"),
    ("POST", "/metadata/tag-values-suggest"),
    ("POST", "/metadata/tagkey-count"),
    ("POST", "/tags"),
    ("POST", "/keys"),
    ("DELETE", "/metadata/series"),
]
MATCH = st.fixed_dictionaries(
    {},
    optional={
        "fuzzy": st.one_of(st.booleans(), JSON_VALUES),
        "fuzzyPrefixLength": st.one_of(NUMBERS, JSON_VALUES),
        "fuzzyMaxExpansions": NUMBERS,
        "tokenize": st.one_of(st.booleans(), JSON_VALUES),
    },
)
LIMITS = st.one_of(st.sampled_from([0, 1, 3, None]), NUMBERS, TEXT)
BODIES = st.fixed_dictionaries(
    {},
    optional={
        "filter": st.one_of(VALID_FILTERS, FILTERS),
        "range": st.one_of(SENSIBLE_RANGES, RANGES),
        "limit": LIMITS,
        "key": st.one_of(st.sampled_from(["host", "h", "", "cpu"]), JSON_VALUES),
        "value": st.one_of(st.sampled_from(["a", "lo", ""]), JSON_VALUES),
        "match": st.one_of(MATCH, JSON_VALUES),
        "groupLimit": LIMITS,
        "exclude": st.one_of(st.lists(TEXT, max_size=3), JSON_VALUES),
        "matchKey": JSON_VALUES,
    },
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    yield from fuzz_client()


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), body=st.one_of(BODIES, JSON_VALUES))
def test_metadata_never_fails_with_a_server_error(
    client: TestClient, endpoint: tuple[str, str], body: Any
) -> None:
    method, path = endpoint
    if method == "DELETE" and isinstance(body, dict):
        body = {**body, "filter": ["key", "never-written"]}
    check(client.request(method, path, content=dumps(body), headers=JSON))
