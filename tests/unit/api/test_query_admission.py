"""``concurrentQueriesBackoff`` / ``smallQueryThreshold`` / ``concurrentQueriesWait``: large
queries need a slot, wait for it, then get 503 with ``Retry-After``; small ones pass; the
gauges and the counter say so. The slot is taken from inside the application's event loop
(``TestClient.portal``), as a running large query would hold it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from heroic_api.errors import TooManyQueriesError
from heroic_api.main import create_app
from heroic_api.services.admission import AdmissionSettings, QueryAdmission, Ticket
from heroic_api.services.fetch import FetchOutcome, fetch_all
from heroic_api.settings import settings_from_config
from heroic_core.backends.memory import MemoryMetricBackend
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Points, Series

from .helpers import CLIENT, NOW, write

HOUR = 3_600_000
#: Three series of 100 points: 300 points, over the threshold of 50 ...
LARGE = {"range": {"type": "absolute", "start": NOW - HOUR, "end": NOW}, "filter": ["key", "k"]}
#: ... and their last five minutes: 3 x 9 points, under it.
SMALL = {"range": {"type": "absolute", "start": NOW - 300_000, "end": NOW}, "filter": ["key", "k"]}


def admission_config(**metrics: Any) -> HeroicConfig:
    memory = {"backends": [{"type": "memory"}]}
    return HeroicConfig.from_dict(
        {"metrics": {**memory, **metrics}, "metadata": memory, "suggest": memory}
    )


@pytest.fixture
def client() -> Iterator[TestClient]:
    config = admission_config(
        concurrentQueriesBackoff=1, smallQueryThreshold=50, concurrentQueriesWait="200ms"
    )
    with TestClient(create_app(config)) as test_client:
        for host in ("a", "b", "c"):
            points = [(NOW - i * 36_000, float(i)) for i in range(100)]
            write(test_client, "k", {"host": host}, points)
        yield test_client


def metrics(client: TestClient) -> dict[str, float]:
    text = client.get("/metrics").text
    return {
        s.name: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name.startswith("heroic_query_")
    }


def hold_the_slot(client: TestClient) -> QueryAdmission:
    admission: QueryAdmission = client.app.state.heroic.admission  # type: ignore[attr-defined]
    assert client.portal is not None
    client.portal.call(admission.acquire)
    return admission


def test_settings_come_from_the_metrics_section() -> None:
    config = admission_config(
        concurrentQueriesBackoff=3, smallQueryThreshold=10, concurrentQueriesWait="2s"
    )
    assert settings_from_config(config).admission == AdmissionSettings(3, 10, 2.0)
    defaults = settings_from_config(admission_config()).admission
    assert (defaults.slots, defaults.small_threshold, defaults.wait) == (2, 200_000, 5.0)


def test_a_large_query_runs_when_a_slot_is_free(client: TestClient) -> None:
    response = client.post("/query/metrics", json=LARGE, headers=CLIENT)
    assert response.status_code == 200
    assert sum(len(g["values"]) for g in response.json()["result"]) == 300
    assert metrics(client)["heroic_query_large_running"] == 0  # given back


def test_a_large_query_waits_then_gets_503_with_retry_after(client: TestClient) -> None:
    hold_the_slot(client)
    response = client.post("/query/metrics", json=LARGE, headers=CLIENT)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    body = response.json()
    assert body["type"] == "internal-error"
    assert body["message"] == (
        "Node has reached maximum number of concurrent large queries (1); waited 0.2 s"
    )
    counted = metrics(client)
    assert counted["heroic_query_rejected_total"] == 1
    assert counted["heroic_query_large_running"] == 1  # the slot the test holds
    assert counted["heroic_query_large_queued"] == 0


def test_a_small_query_passes_while_every_slot_is_taken(client: TestClient) -> None:
    hold_the_slot(client)
    response = client.post("/query/metrics", json=SMALL, headers=CLIENT)
    assert response.status_code == 200
    assert sum(len(g["values"]) for g in response.json()["result"]) == 27
    assert metrics(client)["heroic_query_rejected_total"] == 0


def test_a_waiting_query_runs_once_the_slot_is_given_back(client: TestClient) -> None:
    admission = hold_the_slot(client)
    assert client.portal is not None
    client.portal.start_task_soon(_release_later, admission)
    response = client.post("/query/metrics", json=LARGE, headers=CLIENT)
    assert response.status_code == 200


async def _release_later(admission: QueryAdmission) -> None:
    await asyncio.sleep(0.05)
    admission.release()


def test_a_refused_batch_query_refuses_the_batch(client: TestClient) -> None:
    hold_the_slot(client)
    batch = {"queries": {"big": LARGE, "small": SMALL}}
    response = client.post("/query/batch", json=batch, headers=CLIENT)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"


# --- the admission itself ---------------------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def admission(slots: int, wait: float = 0.05, on_release: Any = None) -> QueryAdmission:
    return QueryAdmission(AdmissionSettings(slots, 100, wait), CollectorRegistry(), on_release)


def sample(gate: QueryAdmission, name: str) -> float | None:
    registry: CollectorRegistry = gate.metrics.registry
    return registry.get_sample_value(name)


@pytest.mark.anyio
async def test_queued_then_refused_queries_are_counted() -> None:
    gate = admission(1)
    await gate.acquire()
    waiting = asyncio.create_task(gate.acquire())
    await asyncio.sleep(0.01)
    assert sample(gate, "heroic_query_large_queued") == 1
    with pytest.raises(TooManyQueriesError) as refused:
        await waiting
    assert refused.value.headers == {"Retry-After": "1"}
    assert sample(gate, "heroic_query_large_queued") == 0
    assert sample(gate, "heroic_query_rejected_total") == 1
    assert sample(gate, "heroic_query_large_running") == 1


@pytest.mark.anyio
async def test_a_ticket_gives_its_slot_back_even_when_the_query_fails() -> None:
    gate = admission(1)

    async def failing_query() -> None:
        async with gate.ticket() as ticket:
            assert ticket.must_wait(101)
            assert await ticket.wait()
            raise RuntimeError("the query failed")

    with pytest.raises(RuntimeError):
        await failing_query()
    assert sample(gate, "heroic_query_large_running") == 0
    async with gate.ticket() as again:
        assert await again.wait()


@pytest.mark.anyio
async def test_a_ticket_is_small_up_to_the_threshold_and_refused_once() -> None:
    gate = admission(0)
    async with gate.ticket() as ticket:
        assert not ticket.must_wait(100)
        assert ticket.must_wait(101)
        assert not await ticket.wait()
        assert not await ticket.wait()  # refused once, not twice
        with pytest.raises(TooManyQueriesError):
            ticket.check()
    assert sample(gate, "heroic_query_rejected_total") == 1


@pytest.mark.anyio
async def test_release_tells_the_process_a_large_query_ended() -> None:
    ended: list[bool] = []
    gate = admission(1, on_release=lambda: ended.append(True))
    async with gate.ticket() as ticket:
        await ticket.wait()
    async with gate.ticket():
        pass  # small: it held nothing
    assert ended == [True]


# --- how large a query is: its first fetch, scaled to all of them ------------------------------


async def _fetch_ten_series(threshold: int) -> tuple[FetchOutcome, Ticket]:
    backend = MemoryMetricBackend()
    series = [Series("k", {"host": str(i)}) for i in range(10)]
    for one in series:
        await backend.write(one, Points.of([(t, 1.0) for t in range(1, 101)]))
    gate = QueryAdmission(AdmissionSettings(0, threshold, 0.01), CollectorRegistry())
    async with gate.ticket() as ticket:
        outcome = await fetch_all(
            [backend], series, DateRange(0, 100), data_limit=None, parallelism=100, gate=ticket
        )
    return outcome, ticket


@pytest.mark.anyio
async def test_a_query_projected_over_the_threshold_fetches_nothing_more_unadmitted() -> None:
    outcome, ticket = await _fetch_ten_series(threshold=999)
    assert (len(outcome.rows), outcome.read, outcome.cancelled) == (1, 100, 9)
    with pytest.raises(TooManyQueriesError):
        ticket.check()


@pytest.mark.anyio
async def test_a_query_projected_within_the_threshold_is_small() -> None:
    outcome, ticket = await _fetch_ten_series(threshold=1000)
    assert (len(outcome.rows), outcome.read, outcome.cancelled) == (10, 1000, 0)
    ticket.check()
    assert not ticket.held
