"""``concurrentQueriesBackoff`` under a burst of slow queries against the test environment's
Cassandra: one large query runs at a time, the others wait ``concurrentQueriesWait`` and get
503 with ``Retry-After``, small queries pass, and the metrics count it all.

Slow for real: 20 series of 10,000 points in Cassandra take the driver about a second to read,
longer than the 0.5 s a query may wait for its slot. Nothing is doubled.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from heroic_api.main import create_app
from heroic_core.backends.factory import build_backends
from heroic_core.backends.group import Backends
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Points, Series
from tests.integration.backends.test_metric_contract import drop_keyspace
from tests.live_server import live_server

pytestmark = pytest.mark.cassandra

SERIES = 20
POINTS = 10_000
END = 1_700_000_000_000
START = END - POINTS * 1000
CLIENT = {"x-client-id": "backoff-test"}
BURST = 6
LARGE = {"range": {"type": "absolute", "start": START - 1, "end": END}, "filter": ["key", "slow"]}
#: 20 series x 5 points: under the threshold of 1,000.
SMALL = {"range": {"type": "absolute", "start": END - 5000, "end": END}, "filter": ["key", "slow"]}


def config(keyspace: str) -> HeroicConfig:
    schema = {
        "type": "ng",
        "keyspace": keyspace,
        "replication": {"class": "SimpleStrategy", "replication_factor": 1},
    }
    datastax = {
        "type": "datastax",
        "seeds": [os.environ["CASSANDRA_CONTACT_POINTS"]],
        "configure": True,
        "schema": schema,
    }
    return HeroicConfig.from_dict(
        {
            "metrics": {
                "backends": [datastax],
                "concurrentQueriesBackoff": 1,
                "smallQueryThreshold": 1000,
                "concurrentQueriesWait": "500ms",
            },
            "metadata": {"backends": [{"type": "memory"}]},
            "suggest": {"backends": [{"type": "memory"}]},
        }
    )


async def load(backends: Backends) -> None:
    timestamps = START + np.arange(1, POINTS + 1, dtype=np.int64) * 1000
    for host in range(SERIES):
        series = Series("slow", {"host": f"h{host}"})
        for metric in backends.metrics.members:
            await metric.configure()
            await metric.write(series, Points(timestamps, np.full(POINTS, float(host))))
        for metadata in backends.metadata.members:
            await metadata.write(series, DateRange(START, END))


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    keyspace = f"backoff_{uuid.uuid4().hex[:8]}"
    heroic = config(keyspace)
    backends = build_backends(heroic)
    try:
        asyncio.run(load(backends))
        with live_server(create_app(heroic, backends)) as url:
            yield url
    finally:
        asyncio.run(backends.close())
        drop_keyspace(keyspace)


def gauges(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    return {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith("heroic_query_")
    }


def test_a_burst_of_slow_queries_runs_one_at_a_time_and_refuses_the_rest(server: str) -> None:
    responses: list[httpx.Response] = []
    small: list[httpx.Response] = []
    seen = {"running": 0.0, "queued": 0.0}
    done = threading.Event()

    def large() -> None:
        with httpx.Client(timeout=120) as client:
            responses.append(client.post(f"{server}/query/metrics", json=LARGE, headers=CLIENT))

    def watch() -> None:
        while not done.is_set():
            values = gauges(server)
            seen["running"] = max(seen["running"], values["heroic_query_large_running"])
            seen["queued"] = max(seen["queued"], values["heroic_query_large_queued"])
            small.append(httpx.post(f"{server}/query/metrics", json=SMALL, headers=CLIENT))

    before = gauges(server)
    burst = [threading.Thread(target=large) for _ in range(BURST)]
    watcher = threading.Thread(target=watch)
    for thread in [*burst, watcher]:
        thread.start()
    for thread in burst:
        thread.join()
    done.set()
    watcher.join()

    codes = sorted(r.status_code for r in responses)
    refused = [r for r in responses if r.status_code == 503]
    assert set(codes) == {200, 503}, codes
    for response in refused:
        assert response.headers["retry-after"] == "1"
        assert "maximum number of concurrent large queries (1)" in response.json()["message"]
    for response in responses:
        if response.status_code == 200:
            assert sum(len(g["values"]) for g in response.json()["result"]) == SERIES * POINTS
    after = gauges(server)
    assert after["heroic_query_rejected_total"] - before["heroic_query_rejected_total"] == len(
        refused
    )
    assert seen["running"] <= 1  # never two large queries at once
    # The gauges are sampled: a sample may miss a query running or a refused one waiting (the
    # 200s and 503s above prove both).
    assert after["heroic_query_large_running"] == 0
    assert after["heroic_query_large_queued"] == 0
    assert small
    assert {r.status_code for r in small} == {200}
