"""``heroic_api.direct``: the query routes answered past FastAPI's routing give, for every kind
of request, the answer FastAPI's route gives (status, headers, body); an override of a route's
dependency still reaches it; the request metrics name the route."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from typing import Any
from unittest import mock

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.trace import NoOpTracer
from prometheus_client.parser import text_string_to_metric_families

from heroic_api.dependencies import get_clock, get_query_engine
from heroic_api.main import create_app
from heroic_api.services.query import QueryEngine
from heroic_core.backends.factory import build_backends
from heroic_core.config import HeroicConfig

from .helpers import CLIENT, NOW, fixed_clock, write

JSON = {**CLIENT, "Content-Type": "application/json"}
RANGE = {"type": "absolute", "start": NOW - 600_000, "end": NOW}
QUERY = {"range": RANGE, "filter": ["key", "cpu"], "aggregation": {"type": "max", "size": "1m"}}
GROUPED = {
    "range": RANGE,
    "filter": ["key", "cpu"],
    "aggregation": {"type": "group", "of": ["host"], "each": {"type": "average"}},
}

#: (name, method, path, headers, body): every outcome the routes have.
REQUESTS: list[tuple[str, str, str, dict[str, str], bytes]] = [
    ("json query", "POST", "/query/metrics", JSON, orjson.dumps(QUERY)),
    ("grouped query, gzip answer", "POST", "/query/metrics",
     {**JSON, "Accept-Encoding": "gzip"}, orjson.dumps(GROUPED)),
    ("hql", "POST", "/query/metrics", {**CLIENT, "Content-Type": "text/plain"},
     b"max(1m) from points(10m) where $key = cpu"),
    ("gzip body", "POST", "/query/metrics", {**JSON, "Content-Encoding": "gzip"},
     gzip.compress(orjson.dumps(QUERY))),
    ("upstream's /metrics path", "POST", "/metrics", JSON, orjson.dumps(QUERY)),
    ("backend group", "POST", "/query/metrics?group=memory", JSON, orjson.dumps(QUERY)),
    ("unknown backend group", "POST", "/query/metrics?group=nope", JSON, orjson.dumps(QUERY)),
    ("malformed json", "POST", "/query/metrics", JSON, b'{"range": '),
    ("empty body", "POST", "/query/metrics", JSON, b""),
    ("unsupported media type", "POST", "/query/metrics",
     {**CLIENT, "Content-Type": "application/xml"}, b"<query/>"),
    ("unknown aggregation", "POST", "/query/metrics", JSON,
     orjson.dumps({**QUERY, "aggregation": {"type": "nope"}})),
    ("wrong option type", "POST", "/query/metrics", JSON,
     orjson.dumps({**QUERY, "options": {"seriesLimit": "x"}})),
    ("missing range", "POST", "/query/metrics", JSON, orjson.dumps({"filter": ["key", "cpu"]})),
    ("hql syntax error", "POST", "/query/metrics", {**CLIENT, "Content-Type": "text/plain"},
     b"max(1m) from"),
    ("too large", "POST", "/query/metrics", JSON, b" " * (70 * 1024)),
    ("not gzip", "POST", "/query/metrics", {**JSON, "Content-Encoding": "gzip"}, b"{}"),
    ("missing client id", "POST", "/query/metrics", {"Content-Type": "application/json"},
     orjson.dumps(QUERY)),
    ("wrong method", "GET", "/query/metrics", CLIENT, b""),
    ("batch", "POST", "/query/batch", JSON,
     orjson.dumps({"queries": {"a": QUERY, "b": GROUPED}, "range": RANGE})),
    ("batch with a bad query", "POST", "/query/batch?backend=memory", JSON,
     orjson.dumps({"queries": {"a": QUERY, "b": {"range": RANGE, "aggregation": {"type": 1}}}})),
    ("batch not an object", "POST", "/query/batch", JSON, b"[1]"),
]  # fmt: skip


def _app(*, through_fastapi: bool) -> FastAPI:
    memory = {"backends": [{"type": "memory"}]}
    config = HeroicConfig.from_dict(
        {"maxRequestBodySize": 64 * 1024, "metrics": memory, "metadata": memory}
    )
    app = create_app(config, build_backends(config))
    if through_fastapi:  # an override of a route's dependency leaves its requests to FastAPI
        app.dependency_overrides[get_clock] = lambda: fixed_clock
    else:
        app.state.heroic.clock = fixed_clock
    return app


def _seeded(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        for host in ("a", "b"):
            write(client, "cpu", {"host": host}, [(NOW - 60_000 * i, float(i)) for i in range(9)])
        yield client


@pytest.fixture(scope="module")
def direct() -> Iterator[TestClient]:
    yield from _seeded(_app(through_fastapi=False))


@pytest.fixture(scope="module")
def fastapi_route() -> Iterator[TestClient]:
    yield from _seeded(_app(through_fastapi=True))


def _normalized(raw: bytes) -> Any:
    """The answer without what differs between two runs of one query (its id, span times)."""
    document = orjson.loads(raw) if raw else None

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: 0 if k in ("queryId", "elapsed") else scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    return scrub(document)


def _sent(client: TestClient, method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
    with client.stream(method, path, headers=headers, content=body or None) as answer:
        raw = b"".join(answer.iter_raw())
        sent = dict(answer.headers)
    if sent.get("content-encoding") == "gzip":
        raw = gzip.decompress(raw)
    sent.pop("content-length")  # the gzip sizes differ with the query ids
    return answer.status_code, sent, _normalized(raw)


@pytest.mark.parametrize("sent", [r[1:] for r in REQUESTS], ids=[r[0] for r in REQUESTS])
def test_the_direct_path_answers_as_fastapi_does(
    direct: TestClient, fastapi_route: TestClient, sent: tuple[str, str, dict[str, str], bytes]
) -> None:
    assert _sent(direct, *sent) == _sent(fastapi_route, *sent)


def test_a_query_is_answered_without_fastapi_solving_dependencies(direct: TestClient) -> None:
    with mock.patch("fastapi.routing.solve_dependencies", side_effect=AssertionError("solved")):
        answer = direct.post("/query/metrics", content=orjson.dumps(QUERY), headers=JSON)
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["result"]) == 1  # one group of both series


def test_an_overridden_engine_is_the_one_that_answers() -> None:
    app = _app(through_fastapi=False)
    failing = mock.AsyncMock(side_effect=RuntimeError("the override answered"))

    def engine() -> QueryEngine:
        return mock.Mock(spec=QueryEngine, query=failing, tracer=NoOpTracer())

    app.dependency_overrides[get_query_engine] = engine
    with TestClient(app) as client:
        answer = client.post("/query/metrics", content=orjson.dumps(QUERY), headers=JSON)
    assert (answer.status_code, answer.json()["message"]) == (500, "the override answered")


def _batch_refusals(client: TestClient) -> float:
    """``heroic_http_requests_total`` of ``POST /query/batch`` answered 400 so far."""
    families = text_string_to_metric_families(client.get("/metrics").text)
    requests = next(f for f in families if f.name == "heroic_http_requests")
    labels = {"method": "POST", "endpoint": "/query/batch", "status": "400"}
    return sum(
        s.value
        for s in requests.samples
        if s.name == "heroic_http_requests_total" and s.labels == labels
    )


def test_the_request_metrics_name_the_route_and_count_every_request(direct: TestClient) -> None:
    before = _batch_refusals(direct)
    for _ in range(2):
        assert direct.post("/query/batch", content=b"[1]", headers=JSON).status_code == 400
    assert _batch_refusals(direct) == before + 2
