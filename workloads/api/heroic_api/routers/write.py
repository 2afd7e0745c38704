"""``POST /write``: write one series' points (and its metadata/suggest entries) locally.

Routes only; the logic is in ``services.write``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Query
from starlette.requests import Request

from heroic_api.body import read_json_bytes
from heroic_api.dependencies import WriteServiceDep
from heroic_api.routing import heroic_router
from heroic_api.schemas import WriteBody

router = heroic_router("write")

_WRITE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": WriteBody.model_json_schema(by_alias=True)}},
    }
}


@router.post("/write", summary="Write points of one series", openapi_extra=_WRITE_BODY)
async def write(
    request: Request,
    service: WriteServiceDep,
    group: str | None = Query(default=None, description="backend group"),
) -> dict[str, Any]:
    return await service.write_raw(await read_json_bytes(request), group)
