"""CPU-bound work of queries (aggregation, encoding large answers) off the event loop.

Small work stays on the event loop: the hop to the worker thread and back (two wake-ups, and
the GIL changing hands) costs more than aggregating or encoding a few thousand points, and
holds the loop for less than a millisecond. Large work runs on one worker thread, in the order
submitted. One, because this work holds the
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

from heroic_api.responses import HeroicJSONResponse, encode_json, encode_json_in_pieces

P = ParamSpec("P")
T = TypeVar("T")

_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="heroic-cpu")

#: Aggregation of at most this many points read, from at most ``INLINE_SERIES`` series, runs
#: on the event loop (a few milliseconds at most: grouped statistics take about 10 ns a point
#: and 20 µs a group).
INLINE_POINTS = 500_000
INLINE_SERIES = 200
#: Answers of at most this many values are encoded on the event loop (about 1 ms).
INLINE_VALUES = 20_000


def is_small(points: int, series: int) -> bool:
    """Whether aggregating ``points`` read from ``series`` series stays on the event loop."""
    return points <= INLINE_POINTS and series <= INLINE_SERIES


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` on the CPU worker thread."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_worker, functools.partial(fn, *args, **kwargs))


def submit(fn: Callable[[], object]) -> Future[object]:
    """``fn()`` on the CPU worker thread, after the work already submitted; nobody waits."""
    return _worker.submit(fn)


async def encoded_off_loop(
    content: Any, status_code: int = 200, *, values: int | None = None
) -> Response:
    """The ``HeroicJSONResponse`` of ``content``, encoded on the CPU worker thread (a query
    answer of megabytes takes tens of milliseconds to encode), or here when the caller counted
    at most ``INLINE_VALUES`` values in it."""
    if values is not None and values <= INLINE_VALUES:
        body = encode_json(content)
    else:
        body = await off_loop(encode_json_in_pieces, content)
    return Response(body, status_code, media_type=HeroicJSONResponse.media_type)
