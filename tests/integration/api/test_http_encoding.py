"""gzip and the request-body limit over a real socket: an API node served by uvicorn in this
process, spoken to by httpx as any client would (memory backends, no test environment)."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator

import httpx
import orjson
import pytest
import uvicorn
from prometheus_client.parser import text_string_to_metric_families

from heroic_api.main import create_app
from heroic_core.config import HeroicConfig
from heroic_testenv.procs import free_port

LIMIT = 1024 * 1024
CLIENT_ID = {"X-Client-Id": "encoding-test"}
IDENTITY = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}
START = 1_700_000_000_000
POINTS = [[START + 1000 * i, float(i)] for i in range(1, 601)]
QUERY = {"range": {"type": "absolute", "start": START, "end": START + 600_000}}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    config = HeroicConfig.default().model_copy(update={"max_request_body_size": LIMIT})
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(config), host="127.0.0.1", port=port, log_config=None)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start within 30 s"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    series = {"key": "cpu", "tags": {"host": "a"}}
    written = httpx.post(
        f"{url}/write", json={"series": series, "data": {"type": "points", "data": POINTS}}
    )
    assert written.status_code == 200, written.text
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


def test_a_large_answer_is_gzip_when_the_client_accepts_it(client: httpx.Client) -> None:
    answer = client.post("/query/metrics", json=QUERY, headers={**CLIENT_ID, **GZIP})
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "gzip"
    assert "Accept-Encoding" in answer.headers["vary"]
    assert int(answer.headers["content-length"]) < len(answer.content) // 2
    assert answer.json()["result"][0]["values"] == POINTS


def test_a_client_that_does_not_accept_gzip_gets_it_plain(client: httpx.Client) -> None:
    answer = client.post("/query/metrics", json=QUERY, headers={**CLIENT_ID, **IDENTITY})
    assert "content-encoding" not in answer.headers
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert answer.json()["result"][0]["values"] == POINTS


def _filter_of_length(client: httpx.Client, length: int) -> str:
    """An HQL filter whose ``/parser/parse-filter`` answer is ``length`` bytes uncompressed."""
    probe = client.post("/parser/parse-filter", content="a = x", headers=IDENTITY)
    return "a = " + "x" * (length - len(probe.content) + 1)


@pytest.mark.parametrize(("length", "encoding"), [(859, None), (860, "gzip")])
def test_answers_are_gzip_from_860_bytes(
    client: httpx.Client, length: int, encoding: str | None
) -> None:
    text = _filter_of_length(client, length)
    plain = client.post("/parser/parse-filter", content=text, headers=IDENTITY)
    assert len(plain.content) == length
    answer = client.post("/parser/parse-filter", content=text, headers=GZIP)
    assert answer.headers.get("content-encoding") == encoding
    assert answer.content == plain.content


def test_a_small_answer_is_not_compressed(client: httpx.Client) -> None:
    answer = client.get("/status", headers=GZIP)
    assert answer.status_code == 200
    assert len(answer.content) < 860
    assert "content-encoding" not in answer.headers


def test_the_prometheus_api_answers_gzip_that_its_clients_read(client: httpx.Client) -> None:
    params: dict[str, str | int] = {
        "query": "cpu",
        "start": START // 1000,
        "end": START // 1000 + 600,
        "step": "1",
    }
    answer = client.get("/api/v1/query_range", params=params, headers=GZIP)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-encoding"] == "gzip"
    assert len(answer.json()["data"]["result"][0]["values"]) == 600
    exposition = client.get("/metrics", headers=GZIP)
    assert exposition.headers["content-encoding"] == "gzip"
    names = {family.name for family in text_string_to_metric_families(exposition.text)}
    assert "heroic_http_requests" in names


def test_a_gzip_request_body_is_read(client: httpx.Client) -> None:
    content = gzip.compress(orjson.dumps(QUERY))
    headers = {**CLIENT_ID, "Content-Type": "application/json", "Content-Encoding": "gzip"}
    answer = client.post("/query/metrics", content=content, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"][0]["values"] == POINTS


def test_a_body_over_the_limit_is_a_413_before_it_is_read(client: httpx.Client) -> None:
    content = b" " * (8 * LIMIT)
    answer = client.post("/write", content=content, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert (
        "exceeds the limit of 1048576 bytes (1 MiB); raise maxRequestBodySize"
        in (answer.json()["message"])
    )
    assert client.get("/status").status_code == 200  # the server carries on
