"""Prometheus remote-writes what it scrapes to our node, and our node serves it back.

Our node runs as a real ``heroic api`` process (memory backends) on a free port; a Prometheus
scrapes itself and our node's ``/metrics`` every second and remote-writes to our
``/api/v1/write``. Checked through Heroic's own API, which exists today: the series are indexed
(``POST /metadata/series``) and their points equal Prometheus' own, sample for sample
(``POST /query/metrics``). Skips while our node has no remote-write receiver.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from heroic_testenv.procs import free_port, log_path, spawn, stop, wait_until
from heroic_testenv.prometheus import PrometheusBinaries

from .compare import Samples, normalise
from .peers import success
from .prometheus_server import PrometheusServer

pytestmark = pytest.mark.prometheus

NO_WRITE_API = "the Prometheus remote-write receiver (POST /api/v1/write) is not on this branch yet"
ARRIVAL_TIMEOUT_S = 60.0
CLIENT = {"X-Client-Id": "promtest"}


@pytest.fixture(scope="module")
def heroic_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``heroic api`` on memory backends; yields its base URL."""
    tmp_path = tmp_path_factory.mktemp("heroic-api")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "heroic_cli.main", "api", "--host", "127.0.0.1",
            "--port", str(port), "--log-level", "WARNING"]  # fmt: skip
    process = spawn(tmp_path, "heroic-api", argv)
    try:
        wait_until(
            "heroic-api",
            lambda: httpx.get(f"{url}/status", timeout=2).status_code == 200,
            timeout=60,
            proc=process,
            log=log_path(tmp_path, "heroic-api"),
        )
        yield url
    finally:
        stop(tmp_path, "heroic-api")


@pytest.fixture(scope="module")
def scraping_prometheus(
    heroic_node: str, binaries: PrometheusBinaries, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PrometheusServer]:
    """Prometheus scraping itself and our node every second, remote-writing to our node."""
    if httpx.post(f"{heroic_node}/api/v1/write", content=b"", timeout=10).status_code == 404:
        pytest.skip(NO_WRITE_API)
    port = free_port()
    config = {
        "global": {"scrape_interval": "1s"},
        "scrape_configs": [
            {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{port}"]}]},
            {"job_name": "heroic", "static_configs": [{"targets": [urlsplit(heroic_node).netloc]}]},
        ],
        "remote_write": [
            {
                "url": f"{heroic_node}/api/v1/write",
                # Send within a second instead of the default five.
                "queue_config": {"batch_send_deadline": "1s", "max_backoff": "1s"},
            }
        ],
    }
    workdir = tmp_path_factory.mktemp("prometheus-remote-write")
    server = PrometheusServer(binaries, workdir, config, "prometheus-remote-write", port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _series(node: str, key: str) -> list[dict[str, Any]]:
    response = httpx.post(f"{node}/metadata/series", json={"filter": ["key", key]}, timeout=10)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["series"]
    return found


def _jobs(node: str, key: str) -> set[str]:
    return {s["tags"].get("job", "") for s in _series(node, key)}


def _our_points(node: str, key: str, job: str) -> Samples:
    now = int(time.time() * 1000)
    body = {
        "range": {"type": "absolute", "start": now - 600_000, "end": now + 60_000},
        "filter": ["and", ["key", key], ["=", "job", job]],
        # By default Heroic moves a range that ends near now back by 10 s, away from incomplete
        # buckets; these checks want the newest points.
        "features": ["-shift_range"],
    }
    response = httpx.post(f"{node}/query/metrics", json=body, headers=CLIENT, timeout=10)
    assert response.status_code == 200, response.text
    [group] = response.json()["result"]
    return tuple((t, float(v)) for t, v in group["values"])


def _their_points(prometheus: PrometheusServer, key: str, job: str, at_ms: int) -> Samples:
    query = f'{key}{{job="{job}"}}[10m]'
    params = {"query": query, "time": f"{at_ms / 1000:.3f}"}
    data = success(httpx.get(f"{prometheus.url}/api/v1/query", params=params), "Prometheus", query)
    [(_, samples)] = normalise(data).series
    return samples


def test_scraped_series_reach_our_node_and_are_queryable(
    scraping_prometheus: PrometheusServer, heroic_node: str, binaries: PrometheusBinaries
) -> None:
    jobs = ("prometheus", "heroic")
    wait_until(
        "remote write",
        lambda: (
            _jobs(heroic_node, "up") >= set(jobs)
            and all(_our_points(heroic_node, "up", job) for job in jobs)
            and bool(_series(heroic_node, "prometheus_build_info"))
        ),
        timeout=ARRIVAL_TIMEOUT_S,
        log=scraping_prometheus.log,
    )
    [build_info] = _series(heroic_node, "prometheus_build_info")
    assert build_info["tags"]["version"].startswith(binaries.version)
    for job in jobs:
        assert {value for _, value in _our_points(heroic_node, "up", job)} == {1.0}


@pytest.mark.parametrize("key", ["up", "scrape_duration_seconds", "scrape_samples_scraped"])
def test_our_node_holds_what_prometheus_stored(
    scraping_prometheus: PrometheusServer, heroic_node: str, key: str
) -> None:
    wait_until(
        "remote write",
        lambda: len(_our_points(heroic_node, key, "prometheus")) >= 5,
        timeout=ARRIVAL_TIMEOUT_S,
        log=scraping_prometheus.log,
    )
    ours = _our_points(heroic_node, key, "prometheus")
    first, last = ours[0][0], ours[-1][0]
    theirs = _their_points(scraping_prometheus, key, "prometheus", last)
    # Inside the span our node has received, nothing is missing, doubled or altered.
    assert ours == tuple((t, v) for t, v in theirs if first <= t <= last)
