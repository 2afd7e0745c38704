"""``POST /query/metrics`` (JSON or ``text/plain`` HQL) and ``POST /query/batch``.

Routes only: decode the body, hand it to the ``QueryEngine``, return its JSON. "now" is read once
per request: decoding (HQL's ranges) and every query of a batch use the same instant. Queries
time out after 300 s as upstream's do (503 ``internal-error``). Both routes are also answered
past FastAPI's routing by ``heroic_api.direct``, with the same handlers (``answer_*``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from fastapi import Query
from starlette.requests import Request
from starlette.responses import Response

from heroic_api.body import read_json_bytes, read_json_bytes_or_text
from heroic_api.dependencies import NowDep, QueryEngineDep
from heroic_api.direct import DirectRoute, direct_route
from heroic_api.fastquery import read_batch, read_query
from heroic_api.offload import encoded_off_loop
from heroic_api.routing import heroic_router
from heroic_api.schemas import QueryBatchBody, QueryMetricsBody
from heroic_api.services.query import QueryEngine
from heroic_api.services.results import answer_values
from heroic_api.tracing.spans import current_span
from heroic_core.errors import JsonMappingError, RequestError

router = heroic_router("query")

QUERY_TIMEOUT_SECONDS = 300.0

_QUERY_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": QueryMetricsBody.model_json_schema(by_alias=True)},
            "text/plain": {"schema": {"type": "string", "example": "average(5m) from points(1h)"}},
        },
    }
}
_BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": QueryBatchBody.model_json_schema(by_alias=True)}
        },
    }
}


async def _timed(work: Awaitable[dict[str, Any]]) -> dict[str, Any]:
    try:
        async with asyncio.timeout(QUERY_TIMEOUT_SECONDS):  # in this task: no task per query
            return await work
    except TimeoutError:
        raise TimeoutError(f"query timed out after {QUERY_TIMEOUT_SECONDS:.0f} s") from None


@router.post("/query/metrics", summary="Query metrics", openapi_extra=_QUERY_BODY)
async def query_metrics(
    request: Request,
    engine: QueryEngineDep,
    now: NowDep,
    group: str | None = Query(default=None, description="backend group"),
) -> Response:
    return await answer_metrics(request, engine, now, group)


async def answer_metrics(
    request: Request, engine: QueryEngine, now: int, group: str | None
) -> Response:
    """``POST /query/metrics``."""
    with current_span(engine.tracer, "queryResource.parse"):
        query = read_query(await read_json_bytes_or_text(request), now=now)
    client_id = request.headers.get("x-client-id")
    body = await _timed(engine.query(query, now=now, group=group, client_id=client_id))
    with current_span(engine.tracer, "queryResource.encode"):
        return await encoded_off_loop(body, values=answer_values(body))


@router.post("/query/batch", summary="Run several named queries", openapi_extra=_BATCH_BODY)
async def query_batch(
    request: Request,
    engine: QueryEngineDep,
    now: NowDep,
    backend: str | None = Query(default=None, description="backend group"),
) -> Response:
    return await answer_batch(request, engine, now, backend)


async def answer_batch(
    request: Request, engine: QueryEngine, now: int, backend: str | None
) -> Response:
    """``POST /query/batch``."""
    with current_span(engine.tracer, "queryResource.parse"):
        queries = read_batch(await read_json_bytes(request), now=now)
    client_id = request.headers.get("x-client-id")

    async def run(name: str) -> dict[str, Any]:
        try:
            return await engine.query(queries[name], now=now, group=backend, client_id=client_id)
        except RequestError as exc:
            raise JsonMappingError(exc.message, f"queries.{name}") from exc

    results = await _timed(_gather(queries, run))
    values = sum(answer_values(answer) for answer in results.values())
    with current_span(engine.tracer, "queryResource.encode"):
        return await encoded_off_loop({"results": results}, values=values)


def direct_routes() -> tuple[DirectRoute, ...]:
    """Both routes, for ``heroic_api.direct``."""
    return (
        direct_route(router, "/query/metrics", answer_metrics, "group"),
        direct_route(router, "/query/batch", answer_batch, "backend"),
    )


async def _gather(names: dict[str, Any], run: Any) -> dict[str, Any]:
    values = await asyncio.gather(*(run(name) for name in names))
    return dict(zip(names, values, strict=True))
