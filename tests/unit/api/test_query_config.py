"""Query behaviour driven by configuration and backend failures (reference 3, 10, 2.3)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_api.routers import query as query_router
from heroic_core.backends.factory import build_backends
from heroic_core.backends.group import BackendGroup, Backends
from heroic_core.backends.memory import MemoryMetricBackend
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Points, Series

from .helpers import NOW, fixed_clock, write

MEMORY = {
    "metrics": {"backends": [{"type": "memory"}]},
    "metadata": {"backends": [{"type": "memory"}]},
    "suggest": {"backends": [{"type": "memory"}]},
}
AVERAGE_1M = {"type": "average", "size": "1m"}
RECENT = [(NOW - 120_000 + 10_000 * i, float(i)) for i in range(1, 13)]


def _client(extra: dict[str, Any], backends: Backends | None = None) -> TestClient:
    config = HeroicConfig.from_dict({**MEMORY, **extra})
    app = create_app(config, backends or build_backends(config))
    app.state.heroic.clock = fixed_clock
    return TestClient(app)


def _range(client: TestClient, client_id: str) -> dict[str, int]:
    body = {"range": {"type": "relative", "unit": "MINUTES", "value": 2}, "aggregation": AVERAGE_1M}
    response = client.post("/query/metrics", json=body, headers={"X-Client-Id": client_id})
    assert response.status_code == 200, response.text
    result: dict[str, int] = response.json()["range"]
    return result


def test_conditional_features_apply_to_the_matching_client_only() -> None:
    rule = {
        "type": "match",
        "condition": {"type": "clientId", "clientId": "grafana"},
        "features": ["-com.spotify.heroic.shift_range"],
    }
    with _client({"conditionalFeatures": rule}) as client:
        assert _range(client, "grafana") == {"start": NOW - 120_000, "end": NOW}
        assert _range(client, "cli") == {"start": NOW - 180_000, "end": NOW - 60_000}


def test_config_features_change_the_default_bucket_strategy() -> None:
    with _client({"features": ["-com.spotify.heroic.end_bucket_stategy"]}) as client:
        write(client, "cpu", {"host": "a"}, RECENT)
        body = {
            "range": {"type": "absolute", "start": NOW - 120_000, "end": NOW - 60_000},
            "aggregation": AVERAGE_1M,
            "features": ["-com.spotify.heroic.shift_range"],
        }
        response = client.post("/query/metrics", json=body, headers={"X-Client-Id": "a"})
        assert response.json()["result"][0]["values"] == [[NOW - 120_000, 3.0]]


def test_cluster_tags_are_the_result_shard() -> None:
    with _client({"cluster": {"tags": {"site": "lon"}}}) as client:
        write(client, "cpu", {"host": "a"}, RECENT)
        body = {"range": {"type": "absolute", "start": 0, "end": NOW - 60_000}}
        group = client.post("/query/metrics", json=body, headers={"X-Client-Id": "a"}).json()
        assert group["result"][0]["shard"] == {"site": "lon"}
        assert group["trace"]["children"][0]["what"]["name"] == "coreQueryManager.shard[{site=lon}]"


class _BrokenFetch(MemoryMetricBackend):
    async def fetch(self, series: Series, range: DateRange) -> Points:
        raise OSError("tablet server unavailable")


def test_failed_fetches_become_a_shard_error_in_a_200() -> None:
    config = HeroicConfig.from_dict(MEMORY)
    default = build_backends(config)
    backends = Backends(
        metrics=BackendGroup.build([_BrokenFetch("broken", ("memory",))]),
        metadata=default.metadata,
        suggest=default.suggest,
    )
    with _client({}, backends) as client:
        client.put("/metadata/series", json={"key": "cpu", "tags": {"host": "a"}})
        body = {"range": {"type": "absolute", "start": 0, "end": NOW - 60_000}}
        response = client.post("/query/metrics", json=body, headers={"X-Client-Id": "a"})
        assert response.status_code == 200
        assert response.json()["result"] == []
        assert response.json()["errors"] == [
            {
                "type": "shard",
                "nodes": ["local"],
                "shard": {},
                "error": "Some fetches failed (1) or were cancelled (0), "
                "caused by tablet server unavailable",
            }
        ]


class _SlowFetch(MemoryMetricBackend):
    async def fetch(self, series: Series, range: DateRange) -> Points:
        await asyncio.sleep(5)
        return await super().fetch(series, range)


def test_a_query_past_its_time_is_a_503(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(query_router, "QUERY_TIMEOUT_SECONDS", 0.05)
    default = build_backends(HeroicConfig.from_dict(MEMORY))
    backends = Backends(
        metrics=BackendGroup.build([_SlowFetch("slow", ("memory",))]),
        metadata=default.metadata,
        suggest=default.suggest,
    )
    with _client({}, backends) as client:
        client.put("/metadata/series", json={"key": "cpu", "tags": {"host": "a"}})
        body = {"range": {"type": "absolute", "start": 0, "end": NOW - 60_000}}
        response = client.post("/query/metrics", json=body, headers={"X-Client-Id": "a"})
    assert response.status_code == 503
    assert "query timed out after 0 s" in response.text
