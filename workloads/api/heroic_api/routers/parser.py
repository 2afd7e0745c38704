"""``/parser/parse-query`` and ``/parser/parse-filter``: HQL text → upstream JSON.

POST takes the HQL as a ``text/plain`` body; GET takes it as ``?query=`` / ``?filter=``. Syntax
errors are 400 ``parse-error`` with the position. Routes only.
"""

from __future__ import annotations

from typing import Any

from fastapi import Query
from starlette.requests import Request

from heroic_api.body import read_text
from heroic_api.dependencies import NowDep
from heroic_api.routing import heroic_router
from heroic_core.errors import HeroicError
from heroic_core.hql import parse_filter, parse_query

router = heroic_router("parser")

_TEXT_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}
}


def _required(value: str | None, name: str) -> str:
    if value is None or not value.strip():
        raise HeroicError(f"missing query parameter '{name}'")
    return value


@router.post("/parser/parse-query", summary="Parse an HQL query", openapi_extra=_TEXT_BODY)
async def parse_query_post(request: Request, now: NowDep) -> dict[str, Any]:
    return parse_query(await read_text(request), now_ms=now).to_json()


@router.get("/parser/parse-query", summary="Parse an HQL query given as ?query=")
async def parse_query_get(now: NowDep, query: str | None = Query(default=None)) -> dict[str, Any]:
    return parse_query(_required(query, "query"), now_ms=now).to_json()


@router.post("/parser/parse-filter", summary="Parse an HQL filter", openapi_extra=_TEXT_BODY)
async def parse_filter_post(request: Request) -> list[Any]:
    return parse_filter(await read_text(request)).to_json()


@router.get("/parser/parse-filter", summary="Parse an HQL filter given as ?filter=")
async def parse_filter_get(filter: str | None = Query(default=None)) -> list[Any]:
    return parse_filter(_required(filter, "filter")).to_json()
