"""CPU work off the event loop: it runs on the one worker thread, and an answer encoded there
in pieces is byte for byte the answer ``HeroicJSONResponse`` would send."""

from __future__ import annotations

import math
import threading
from typing import Any

import pytest

from heroic_api.offload import encoded_off_loop, off_loop
from heroic_api.responses import HeroicJSONResponse

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
