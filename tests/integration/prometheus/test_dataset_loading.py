"""Both sides hold exactly the generated data, sample for sample: what every comparison rests on.
It checks the OpenMetrics rendering and promtool's backfill on one side and ``POST /write`` on the
other (timestamps to the millisecond, values bit for bit), and runs before our query API exists.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from .compare import Labels, Samples, normalise
from .dataset import MINUTE_MS, Dataset
from .peers import success

pytestmark = pytest.mark.prometheus


def _expected(dataset: Dataset) -> dict[Labels, Samples]:
    return {
        tuple(sorted({"__name__": s.name, **s.labels}.items())): s.points for s in dataset.series
    }


def test_prometheus_holds_exactly_the_dataset(prometheus: httpx.Client, dataset: Dataset) -> None:
    span_m = (dataset.end_ms - dataset.start_ms) // MINUTE_MS + 1
    params = {"query": f'{{__name__=~".+"}}[{span_m}m]', "time": f"{dataset.end_ms / 1000}"}
    data = success(prometheus.get("/api/v1/query", params=params), "Prometheus", params["query"])
    assert dict(normalise(data).series) == _expected(dataset)


def test_our_node_holds_exactly_the_dataset(heroic: TestClient, dataset: Dataset) -> None:
    held: dict[Labels, Samples] = {}
    window = {
        "type": "absolute",
        "start": dataset.start_ms - MINUTE_MS,
        "end": dataset.end_ms + MINUTE_MS,
    }
    for name in sorted({s.name for s in dataset.series}):
        body = {"range": window, "filter": ["key", name]}
        response = heroic.post("/query/metrics", json=body, headers={"X-Client-Id": "promtest"})
        assert response.status_code == 200, response.text
        for group in response.json()["result"]:
            labels = tuple(sorted({"__name__": group["key"], **group["tags"]}.items()))
            held[labels] = tuple((t, v) for t, v in group["values"])
    assert held == _expected(dataset)
