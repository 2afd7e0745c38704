"""The Prometheus API's lookups on a real Elasticsearch metadata backend: the filters selectors
push down (equality, negation, absence, literal alternatives) and the aggregations the label
endpoints use give what the matchers select, and queries read through them. Indices of their
own (uuid prefix), dropped afterwards."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.config import HeroicConfig

from .test_elasticsearch_bad_input import NOW, _backend, _es

pytestmark = pytest.mark.elasticsearch

SERIES = [
    ("cpu.usage", {"host": "a", "dc": "lon"}),
    ("cpu.usage", {"host": "b", "dc": "ams"}),
    ("cpu.usage", {"host": "c"}),
    ("mem", {"host": "a", "dc": "lon"}),
]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    prefix = f"test-prom-{uuid.uuid4().hex[:10]}"
    config = HeroicConfig.from_dict(
        {
            "metrics": {"backends": [{"type": "memory"}]},
            "metadata": {"backends": [_backend(f"{prefix}-m")]},
            "suggest": {"backends": [_backend(f"{prefix}-s")]},
        }
    )
    try:
        with TestClient(create_app(config)) as test_client:
            for value, (key, tags) in enumerate(SERIES):
                body = {
                    "series": {"key": key, "tags": tags},
                    "data": {"type": "points", "data": [[NOW, float(value)]]},
                }
                assert test_client.post("/write", json=body).status_code == 200
            asyncio.run(_es(prefix, drop=False))
            yield test_client
    finally:
        asyncio.run(_es(prefix, drop=True))


def data(client: TestClient, path: str, params: list[tuple[str, str]]) -> Any:
    query: list[tuple[str, str | int | float | bool | None]] = list(params)
    response = client.get(path, params=query)
    assert response.status_code == 200, response.text
    return response.json()["data"]


@pytest.mark.parametrize(
    ("selector", "hosts"),
    [
        ('{"cpu.usage"}', ["a", "b", "c"]),
        ('{"cpu.usage", dc="lon"}', ["a"]),
        ('{"cpu.usage", dc!="lon"}', ["b", "c"]),  # c has no dc: "" != "lon"
        ('{"cpu.usage", dc=""}', ["c"]),
        ('{"cpu.usage", host=~"a|c"}', ["a", "c"]),
        ('{"cpu.usage", host=~"[bc]"}', ["b", "c"]),  # not pushed down: applied here
        ('{"cpu.usage", dc!~"l.*"}', ["b", "c"]),
    ],
)
def test_selectors_select_as_prometheus(
    client: TestClient, selector: str, hosts: list[str]
) -> None:
    found = data(
        client, "/api/v1/series", [("match[]", selector), ("start", str(NOW // 1000 - 60))]
    )
    assert sorted(s["host"] for s in found) == hosts
    result = data(client, "/api/v1/query", [("query", selector), ("time", str(NOW // 1000))])
    assert sorted(r["metric"]["host"] for r in result["result"]) == hosts


def test_label_endpoints_use_the_metadata_backend(client: TestClient) -> None:
    assert data(client, "/api/v1/labels", []) == ["__name__", "dc", "host"]
    assert data(client, "/api/v1/label/__name__/values", []) == ["cpu.usage", "mem"]
    assert data(client, "/api/v1/label/dc/values", [("match[]", '{"cpu.usage"}')]) == ["ams", "lon"]
    assert data(client, "/api/v1/label/host/values", [("match[]", '{dc=~"lon|ams"}')]) == ["a", "b"]
    assert data(client, "/api/v1/labels", [("match[]", "mem")]) == ["__name__", "dc", "host"]
