"""Distribution points through the API node: /write, ``from distributionPoints`` and
``tdigest`` answered as P99/P50/P75 groups (reference 1.2, 6.1)."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient

from heroic_api.dependencies import get_clock
from heroic_api.main import create_app
from heroic_core import tdigest
from heroic_core.backends.factory import build_backends
from heroic_core.config import HeroicConfig

from .helpers import NOW, fixed_clock, query

START = NOW - 600_000
RANGE = {"type": "absolute", "start": START, "end": NOW}
Floats = npt.NDArray[np.float64]


def latencies(seed: int, scale: float = 1.0) -> Floats:
    return np.random.default_rng(seed).gamma(2.0, 10.0 * scale, 3000)


def write_sketches(
    client: TestClient, host: str, stamped: list[tuple[int, Floats]], status: int = 200
) -> dict[str, Any]:
    data = [
        {
            "timestamp": ts,
            "value": base64.b64encode(tdigest.encode(tdigest.from_values(v))).decode(),
        }
        for ts, v in stamped
    ]
    body = {
        "series": {"key": "request-latency", "tags": {"host": host}},
        "data": {"type": "distributionPoints", "data": data},
    }
    response = client.post("/write", json=body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def test_distribution_points_come_back_as_written(client: TestClient) -> None:
    payload = tdigest.encode(tdigest.from_values(latencies(1)))
    write_sketches(client, "a", [(START + 60_000, latencies(1))])
    body = query(client, {"range": RANGE, "source": "distributionPoints"})
    [group] = body["result"]
    assert group["type"] == "distributionPoints"
    assert group["values"] == [
        {"value": base64.b64encode(payload).decode(), "timestamp": START + 60_000}
    ]
    # distribution points are not points: the default source finds the series, no samples
    [points] = query(client, {"range": RANGE})["result"]
    assert (points["type"], points["values"]) == ("points", [])


def test_tdigest_by_host_answers_percentile_groups(client: TestClient) -> None:
    a1, a2, b1 = latencies(2), latencies(3), latencies(4, scale=5)
    write_sketches(client, "a", [(START + 30_000, a1), (START + 90_000, a2)])
    write_sketches(client, "b", [(START + 30_000, b1)])
    body = query(client, {"query": "tdigest(10m) by host", "range": RANGE})
    groups = {(g["tags"]["host"], g["tags"]["tdigeststat"]): g for g in body["result"]}
    assert sorted(groups) == [
        ("a", "P50"), ("a", "P75"), ("a", "P99"), ("b", "P50"), ("b", "P75"), ("b", "P99"),
    ]  # fmt: skip
    assert body["errors"] == []
    assert body["preAggregationSampleSize"] == 3
    a = np.concatenate([a1, a2])
    for stat, q in (("P50", 0.5), ("P75", 0.75), ("P99", 0.99)):
        group = groups[("a", stat)]
        assert group["type"] == "points"
        assert group["cadence"] == 600_000
        [[ts, value]] = group["values"]
        assert START < ts <= NOW + 600_000
        assert value == pytest.approx(np.quantile(a, q), rel=0.05)
        [[_, value_b]] = groups[("b", stat)]["values"]
        assert value_b == pytest.approx(np.quantile(b1, q), rel=0.05)


def test_tdigest_through_the_json_aggregation_form(client: TestClient) -> None:
    write_sketches(client, "a", [(START + 30_000, latencies(5))])
    body = query(
        client,
        {
            "range": RANGE,
            "aggregation": {"type": "tdigest", "sampling": {"unit": "minutes", "value": 5}},
        },
    )
    assert sorted(g["tags"]["tdigeststat"] for g in body["result"]) == ["P50", "P75", "P99"]
    assert all(len(g["values"]) == 1 for g in body["result"])


def test_distribution_points_need_a_backend_that_stores_them() -> None:
    config = HeroicConfig.from_dict(
        {
            "metrics": {
                "backends": [{"type": "datastax", "seeds": ["127.0.0.1:1"], "configure": False}]
            },
            "metadata": {"backends": [{"type": "memory"}]},
            "suggest": {"backends": [{"type": "memory"}]},
        }
    )
    app = create_app(config, build_backends(config))
    app.dependency_overrides[get_clock] = lambda: fixed_clock
    with TestClient(app) as client:
        body = write_sketches(client, "a", [(START + 30_000, latencies(6))], status=400)
        assert "no metric backend of this node stores them" in body["message"]
        response = client.post(
            "/query/metrics",
            json={"range": RANGE, "query": "tdigest(1m)"},
            headers={"X-Client-Id": "t"},
        )
        assert response.status_code == 400
        assert "distributionPoints" in response.json()["message"]
