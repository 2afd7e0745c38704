"""Hostile input that only Elasticsearch refuses is a 4xx through the API, never a 5xx.

A regex too complex for Lucene to determinize or longer than Elasticsearch allows is a 400;
suggest limits beyond the result window and the largest accepted limits (whose ``+ 1`` must
stay an int for Elasticsearch) are answered. Runs against the test environment's
Elasticsearch in indices of its own (uuid prefix), dropped afterwards.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.config import HeroicConfig
from tests.integration.backends.search_engines import drop_prefix

pytestmark = pytest.mark.elasticsearch

NOW = 1_700_000_040_000


def _backend(prefix: str) -> dict[str, Any]:
    return {
        "type": "elasticsearch",
        "configure": True,
        "templateName": prefix,
        "connection": {
            "index": {"type": "rotating", "pattern": f"{prefix}-%s", "interval": "7d"},
            "client": {"type": "rest", "seeds": [os.environ["ELASTICSEARCH_URL"]]},
        },
    }


async def _es(prefix: str, *, drop: bool) -> None:
    url = os.environ["ELASTICSEARCH_URL"]
    if drop:
        drop_prefix(url, prefix)
    else:
        httpx.post(f"{url}/{prefix}*/_refresh").raise_for_status()


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    prefix = f"test-api-{uuid.uuid4().hex[:10]}"
    config = HeroicConfig.from_dict(
        {
            "metrics": {"backends": [{"type": "memory"}]},
            "metadata": {"backends": [_backend(f"{prefix}-m")]},
            "suggest": {"backends": [_backend(f"{prefix}-s")]},
        }
    )
    try:
        with TestClient(create_app(config), raise_server_exceptions=False) as test_client:
            for host in ("a" * 48, "ab", "web-1"):
                series = {"key": "cpu", "tags": {"host": host, "site": "lon"}}
                body = {"series": series, "data": {"type": "points", "data": [[NOW, 1.0]]}}
                assert test_client.post("/write", json=body).status_code == 200
            asyncio.run(_es(prefix, drop=False))
            yield test_client
    finally:
        asyncio.run(_es(prefix, drop=True))


def _client_error(response: Any) -> dict[str, Any]:
    assert 400 <= response.status_code < 500, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code
    assert body["message"]
    return body


METADATA_PATHS = [
    "/metadata/series",
    "/metadata/series-count",
    "/metadata/keys",
    "/metadata/tag-suggest",
    "/metadata/tagkey-count",
]


@pytest.mark.parametrize("path", METADATA_PATHS)
@pytest.mark.parametrize("regex", ["a{1,100000}", ".*a.{60}", "a" * 2000])
def test_regex_elasticsearch_refuses_is_a_400(client: TestClient, path: str, regex: str) -> None:
    body = _client_error(client.post(path, json={"filter": ["~", "host", regex]}))
    assert body["type"] == "error"
    assert "elasticsearch" in body["message"]


@pytest.mark.parametrize("path", ["/metadata/tag-suggest", "/metadata/key-suggest"])
def test_suggest_limit_beyond_the_result_window_is_answered(client: TestClient, path: str) -> None:
    response = client.post(path, json={"limit": 50_000})
    assert response.status_code == 200, response.text
    assert response.json()["suggestions"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/metadata/series-count", {"limit": 2**31 - 2}),
        ("/metadata/series", {"limit": 2**31 - 2}),
        ("/metadata/tag-values-suggest", {"limit": 2**31 - 2, "groupLimit": 2**31 - 2}),
        ("/metadata/tagkey-count", {"limit": 2**31 - 2}),
        ("/metadata/tag-value-suggest", {"key": "host", "limit": 2**31 - 2}),
    ],
)
def test_largest_accepted_limits_are_answered(
    client: TestClient, path: str, body: dict[str, Any]
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    assert response.json()["errors"] == []


def test_matching_regex_still_finds_series(client: TestClient) -> None:
    response = client.post("/metadata/series", json={"filter": ["~", "host", "a+b?"]})
    assert response.status_code == 200, response.text
    hosts = sorted(s["tags"]["host"] for s in response.json()["series"])
    assert hosts == ["a" * 48, "ab"]
