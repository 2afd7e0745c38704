"""CPU work off the event loop: it runs on the one worker thread, and an answer encoded there
in pieces is byte for byte the answer ``HeroicJSONResponse`` would send; small work stays on
the event loop."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from heroic_api import offload
from heroic_api.main import create_app
from heroic_api.offload import encoded_off_loop, off_loop
from heroic_api.responses import HeroicJSONResponse
from heroic_api.services.query import QueryEngine

from .helpers import NOW, query, write

pytestmark = pytest.mark.anyio

ANSWER: dict[str, Any] = {
    "queryId": "q",
    "result": [
        {"type": "points", "values": [(1, 2.5), (2, None)], "tags": {"host": "a"}},
        {"type": "points", "values": [[3, 1e-7]], "tagCounts": {}},
    ],
    "errors": [],
    "limits": ["SERIES"],
    "nested": {"results": {"a": {"result": [{"values": [(4, math.pi)]}]}, 7: "seven"}},
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_work_runs_on_the_cpu_worker_thread() -> None:
    name = await off_loop(lambda: threading.current_thread().name)
    assert name.startswith("heroic-cpu")
    assert name != threading.current_thread().name


async def test_an_answer_encoded_in_pieces_is_the_same_bytes() -> None:
    response = await encoded_off_loop(ANSWER, 201)
    assert response.body == HeroicJSONResponse(ANSWER).body
    assert (response.status_code, response.media_type) == (201, "application/json")


async def test_a_small_answer_is_encoded_on_the_event_loop_with_the_same_bytes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[str] = []
    for name in ("encode_json", "encode_json_in_pieces"):
        original = getattr(offload, name)
        monkeypatch.setattr(offload, name, _noting(threads, original))
    small = await encoded_off_loop(ANSWER, values=offload.INLINE_VALUES)
    large = await encoded_off_loop(ANSWER, values=offload.INLINE_VALUES + 1)
    assert small.body == large.body == HeroicJSONResponse(ANSWER).body
    assert threads[0] == threading.current_thread().name
    assert threads[1].startswith("heroic-cpu")


def _noting(threads: list[str], fn: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    def noted(content: Any) -> bytes:
        threads.append(threading.current_thread().name)
        return fn(content)

    return noted


@pytest.mark.parametrize(("inline_points", "on_worker"), [(10_000, False), (99, True)])
def test_a_query_aggregates_on_the_event_loop_unless_it_read_many_points(
    monkeypatch: pytest.MonkeyPatch, inline_points: int, on_worker: bool
) -> None:
    monkeypatch.setattr(offload, "INLINE_POINTS", inline_points)
    threads: list[str] = []
    original = QueryEngine._aggregate

    def noted(self: QueryEngine, *args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return original(self, *args)

    monkeypatch.setattr(QueryEngine, "_aggregate", noted)
    with TestClient(create_app()) as client:
        write(client, "k", {"host": "a"}, [(NOW - i * 1000, 1.0) for i in range(100)])
        body = {"range": {"type": "absolute", "start": NOW - 3_600_000, "end": NOW},
                "filter": ["key", "k"]}  # fmt: skip
        answer = query(client, body)
    assert answer["result"][0]["values"]
    assert threads[0].startswith("heroic-cpu") is on_worker
