"""``GET /render/image``: a PNG chart of an HQL query (``q``), as upstream's render resource.

Parameters: ``q`` (required), ``backend`` (group), ``title``, ``width`` (600), ``height``
(400), ``threshold`` (a red line at that value) and ``highlight`` (a JSON object of tags; parsed
and checked as upstream does, but, as there, it does not change the drawing). Routes only.
"""

from __future__ import annotations

import asyncio
import json

from fastapi import Query
from starlette.responses import Response

from heroic_api.dependencies import NowDep, QueryEngineDep
from heroic_api.routing import heroic_router
from heroic_api.services.query_request import query_from_hql
from heroic_api.services.render import DEFAULT_HEIGHT, DEFAULT_WIDTH, check_size, render_png
from heroic_core.errors import HeroicError

router = heroic_router("render")


def _highlight(raw: str | None) -> dict[str, str] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise HeroicError(f"highlight: not JSON: {exc.msg}") from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise HeroicError("highlight: expected a JSON object of tag names to string values")
    return value


@router.get(
    "/render/image",
    summary="A PNG chart of an HQL query",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def render_image(
    *,
    engine: QueryEngineDep,
    now: NowDep,
    q: str | None = Query(default=None, description="HQL query"),
    backend: str | None = Query(default=None, description="backend group"),
    title: str | None = Query(default=None),
    width: int = Query(default=DEFAULT_WIDTH),
    height: int = Query(default=DEFAULT_HEIGHT),
    highlight: str | None = Query(default=None, description="JSON object of tags"),
    threshold: float | None = Query(default=None, description="draw a red line at this value"),
) -> Response:
    if q is None or not q.strip():
        raise HeroicError("'q' must be defined")
    check_size(width, height)
    _highlight(highlight)
    query = query_from_hql(q, now=now)
    result = await engine.query(query, now=now, group=backend, client_id=None)
    png = await asyncio.to_thread(
        render_png, result["result"], title=title, width=width, height=height, threshold=threshold
    )
    return Response(png, media_type="image/png")
