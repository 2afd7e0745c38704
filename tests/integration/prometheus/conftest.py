"""Session fixtures of the Prometheus tests: the data set, a real Prometheus loaded with it, our
node (in process, memory backends) loaded with the same data, and the pair of them.

Prometheus is a cached artifact, not a test-environment component: the fixture fetches it
(``heroic_testenv.prometheus``), starts it and stops it; the tests skip only when it cannot be
had. The comparison tests skip while our node has no ``/api/v1/query`` route.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_testenv.procs import ComponentError
from heroic_testenv.prometheus import PrometheusBinaries, prometheus_binaries

from .dataset import Dataset, generate, openmetrics, window_start, write_bodies
from .peers import Peers
from .prometheus_server import PrometheusServer, load_openmetrics

NO_QUERY_API = "the Prometheus query API is not on this branch yet"
QUERY_TIMEOUT_S = 60.0


@pytest.fixture(scope="session")
def dataset() -> Dataset:
    return generate(window_start(int(time.time() * 1000)))


@pytest.fixture(scope="session")
def binaries() -> PrometheusBinaries:
    try:
        return prometheus_binaries()
    except ComponentError as exc:
        pytest.skip(f"the prometheus artifact cannot be built here: {exc}")


@pytest.fixture(scope="session")
def prometheus(
    binaries: PrometheusBinaries, dataset: Dataset, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """Prometheus holding ``dataset`` (backfilled with promtool), scraping nothing."""
    workdir: Path = tmp_path_factory.mktemp("prometheus-reference")
    server = PrometheusServer(binaries, workdir, {"scrape_configs": []}, "prometheus-reference")
    load_openmetrics(binaries, openmetrics(dataset), server.data_dir)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=QUERY_TIMEOUT_S) as client:
            yield client
    finally:
        server.stop()


@pytest.fixture(scope="session")
def heroic(dataset: Dataset) -> Iterator[TestClient]:
    """Our API node in process on memory backends, lifespan running, holding ``dataset``."""
    with TestClient(create_app()) as client:
        for body in write_bodies(dataset):
            response = client.post("/write", json=body)
            assert response.status_code == 200, response.text
        yield client


@pytest.fixture(scope="session")
def heroic_query_api(heroic: TestClient) -> TestClient:
    """``heroic``, skipping while the node has no Prometheus query API."""
    if heroic.get("/api/v1/query", params={"query": "1"}).status_code == 404:
        pytest.skip(NO_QUERY_API)
    return heroic


@pytest.fixture(scope="session")
def peers(heroic_query_api: TestClient, prometheus: httpx.Client) -> Peers:
    # heroic_query_api comes first so that a skip costs no Prometheus start.
    return Peers(prometheus=prometheus, heroic=heroic_query_api)
