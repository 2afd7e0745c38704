"""Fuzz ``/parser/parse-query`` and ``/parser/parse-filter`` (POST text and GET parameter).

Generated HQL (seed queries mutated, token soup, random text, deep nesting) must give 200 or
a 400 ``parse-error`` body with a position, never a 5xx.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import given

from tests.unit.core.fuzz_strategies import HQL

from .fuzz_client import FUZZ, TEXT, check, fuzz_client


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    yield from fuzz_client()


def _assert_positioned(body: object) -> None:
    if isinstance(body, dict) and body.get("type") == "parse-error":
        assert body["line"] >= 1
        assert body["col"] >= 0


@FUZZ
@given(text=HQL)
def test_parse_query_never_fails_with_a_server_error(client: TestClient, text: str) -> None:
    body = text.encode("utf-8", "surrogatepass")
    _assert_positioned(check(client.post("/parser/parse-query", content=body, headers=TEXT)))


@FUZZ
@given(text=HQL)
def test_parse_filter_never_fails_with_a_server_error(client: TestClient, text: str) -> None:
    body = text.encode("utf-8", "surrogatepass")
    _assert_positioned(check(client.post("/parser/parse-filter", content=body, headers=TEXT)))


@FUZZ
@given(text=HQL)
def test_parse_get_never_fails_with_a_server_error(client: TestClient, text: str) -> None:
    check(client.get("/parser/parse-filter", params={"filter": text}))
    check(client.get("/parser/parse-query", params={"query": text}))
