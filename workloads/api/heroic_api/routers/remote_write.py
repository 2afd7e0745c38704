"""``POST /api/v1/write``: Prometheus remote write 1.0 (a snappy-compressed protobuf
``prometheus.WriteRequest``) into the metric, metadata and suggest backends.

Routes only; the logic is in ``services.prometheus.remote_write``.
"""

from __future__ import annotations

from typing import Any

from fastapi import Query
from starlette.requests import Request
from starlette.responses import Response

from heroic_api.dependencies import RemoteWriteServiceDep
from heroic_api.routing import prometheus_router
from heroic_api.services.prometheus.remote_proto import PROTOBUF_MEDIA_TYPE

router = prometheus_router("prometheus")

_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a prometheus.WriteRequest, protobuf, compressed as one Snappy block",
        "content": {PROTOBUF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/api/v1/write",
    summary="Prometheus remote write 1.0",
    status_code=204,
    response_class=Response,
    openapi_extra=_BODY,
)
async def remote_write(
    request: Request,
    service: RemoteWriteServiceDep,
    group: str | None = Query(default=None, description="backend group"),
) -> Response:
    written = await service.write(request.headers, request.stream(), group)
    return Response(status_code=204, headers=written.headers())
