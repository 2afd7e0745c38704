"""The probes: ``/healthz``, ``/readyz`` and ``/status`` answer from readiness checked in the
background, at once, also while heavy queries keep the node busy (a real server, so that the
queries and the probes are really in flight together)."""

from __future__ import annotations

import asyncio
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_api.services.readiness import ReadinessMonitor
from heroic_core.backends.factory import build_backends
from heroic_core.backends.group import BackendGroup, Backends
from heroic_core.backends.memory import MemoryMetricBackend
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Points, Series
from tests.live_server import live_server

from .helpers import CLIENT


class _Switchable(MemoryMetricBackend):
    """A memory backend whose readiness the test sets, counting the checks."""

    def __init__(self) -> None:
        super().__init__("switchable")
        self.ready = True
        self.checks = 0

    async def is_ready(self) -> bool:
        self.checks += 1
        return self.ready


@pytest.fixture
def switchable() -> _Switchable:
    return _Switchable()


@pytest.fixture
def client(switchable: _Switchable) -> Iterator[TestClient]:
    default = build_backends(HeroicConfig.default())
    backends = Backends(BackendGroup.build([switchable]), default.metadata, default.suggest)
    app = create_app(HeroicConfig.default(), backends)
    app.state.heroic.readiness = ReadinessMonitor(interval=0.05)
    with TestClient(app) as test_client:
        yield test_client


def test_healthz_answers_while_the_node_runs(client: TestClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"ok": True})


def test_readyz_is_the_answer_of_status(client: TestClient) -> None:
    ready, status = client.get("/readyz"), client.get("/status")
    assert (ready.status_code, ready.json()) == (status.status_code, status.json())
    assert ready.json()["backends"] == {"ok": True, "available": 1, "ready": 1}


def test_probes_do_not_ask_the_backends(client: TestClient, switchable: _Switchable) -> None:
    client.app.state.heroic.readiness.interval = 60  # type: ignore[attr-defined]
    time.sleep(0.1)  # let the check that was due run; the next one is a minute away
    checks = switchable.checks
    for _ in range(20):
        assert client.get("/status").status_code == 200
        assert client.get("/readyz").status_code == 200
    assert switchable.checks == checks


def test_a_backend_that_stops_being_ready_turns_the_probes_503(
    client: TestClient, switchable: _Switchable
) -> None:
    switchable.ready = False
    deadline = time.monotonic() + 5
    while client.get("/readyz").status_code != 503:
        assert time.monotonic() < deadline, "the background check never noticed"
        time.sleep(0.02)
    body = client.get("/status").json()
    assert body["backends"] == {"ok": False, "available": 1, "ready": 0}
    assert client.get("/healthz").status_code == 200  # alive, only not ready


# --- under load --------------------------------------------------------------------------------

SERIES = 300
STEP = 10_000
END = 1_700_006_400_000
DAY = 86_400_000
HEAVY = {
    "range": {"type": "absolute", "start": END - DAY, "end": END},
    "filter": ["key", "load"],
    "aggregation": {"type": "group", "of": ["host"], "each": {"type": "average", "size": "1m"}},
}


async def _load(backends: Backends) -> None:
    timestamps = np.arange(END - DAY + STEP, END + 1, STEP, dtype=np.int64)
    values = np.arange(timestamps.size, dtype=np.float64) % 100
    for host in range(SERIES):
        series = Series("load", {"host": f"h{host}"})
        for metric in backends.metrics.members:
            await metric.write(series, Points(timestamps, values))
        for metadata in backends.metadata.members:
            await metadata.write(series, DateRange(END - DAY, END))


def test_probes_answer_at_once_while_heavy_queries_run() -> None:
    config = HeroicConfig.default()
    backends = build_backends(config)
    asyncio.run(_load(backends))
    queries: list[float] = []
    probes: list[float] = []
    running = threading.Event()

    with live_server(create_app(config, backends)) as url:

        def heavy() -> None:
            with httpx.Client(timeout=120) as http:
                began = time.perf_counter()
                response = http.post(f"{url}/query/metrics", json=HEAVY, headers=CLIENT)
                assert response.status_code == 200
                queries.append(time.perf_counter() - began)

        def probe() -> None:
            with httpx.Client(timeout=30) as http:
                running.wait()
                while len(queries) < len(burst):
                    for path in ("/healthz", "/status"):
                        began = time.perf_counter()
                        assert http.get(f"{url}{path}").status_code == 200
                        probes.append(time.perf_counter() - began)
                    time.sleep(0.02)

        burst = [threading.Thread(target=heavy) for _ in range(4)]
        prober = threading.Thread(target=probe)
        for thread in [*burst, prober]:
            thread.start()
        running.set()
        for thread in [*burst, prober]:
            thread.join()

    # With aggregation and encoding on the event loop, a probe waits for whole queries.
    assert len(probes) >= 10
    assert max(probes) < min(1.0, statistics.median(queries) / 3), (probes, queries)
