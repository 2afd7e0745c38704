"""CPU-bound work of queries (aggregation, encoding large answers) off the event loop.

Everything runs on one worker thread, in the order submitted. One, because this work holds the
GIL nearly all the time: every further thread would compete with the event loop for it and
stretch each step of the loop (probes included) without adding throughput; a process computes
on one core, and ``heroic api --workers`` adds cores. The thread starts on first use and lives
as long as the process. This module must not know what the work is.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from starlette.responses import Response

from heroic_api.responses import HeroicJSONResponse, encode_json_in_pieces

P = ParamSpec("P")
T = TypeVar("T")

_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heroic-cpu")


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` on the CPU worker thread."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_worker, functools.partial(fn, *args, **kwargs))


def submit(fn: Callable[[], object]) -> Future[object]:
    """``fn()`` on the CPU worker thread, after the work already submitted; nobody waits."""
    return _worker.submit(fn)


async def encoded_off_loop(content: Any, status_code: int = 200) -> Response:
    """The ``HeroicJSONResponse`` of ``content``, encoded on the CPU worker thread: a query
    answer of megabytes takes tens of milliseconds to encode."""
    body = await off_loop(encode_json_in_pieces, content)
    return Response(body, status_code, media_type=HeroicJSONResponse.media_type)
