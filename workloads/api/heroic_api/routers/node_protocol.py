"""``/internal/v1/*``: the node protocol a federating node uses to ask this one (its metadata, a
planned query on its shard, a metadata operation on its shard).

Every route requires the shared token as ``Authorization: Bearer <token>``, compared in
constant time: no token configured means the protocol is off (403), a missing or wrong one is
refused (401). These routes answer from this node's shard only and never fan out. Routes only.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from heroic_api.body import read_json
from heroic_api.cluster.federation import own_metadata
from heroic_api.cluster.local import answer_operation, answer_query
from heroic_api.cluster.protocol import METADATA_PATH, OPERATION_PATH, QUERY_PATH
from heroic_api.cluster.wiring import local_engine, local_metadata
from heroic_api.dependencies import ContextDep
from heroic_api.offload import encoded_off_loop
from heroic_api.routing import heroic_router

router = heroic_router("node protocol")

PROTOCOL_OFF = "the node protocol is off: this node has no cluster.protocols [{type: http}] token"


async def require_token(context: ContextDep, request: Request) -> None:
    """401 without the right bearer token, 403 when this node has none configured."""
    expected = context.node_token
    if expected is None:
        raise HTTPException(403, PROTOCOL_OFF)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise HTTPException(
            401, "node protocol: missing or wrong token", {"WWW-Authenticate": "Bearer"}
        )


Authorized = Annotated[None, Depends(require_token)]


@router.get(METADATA_PATH, summary="This node's metadata (id, version, shard tags)")
async def node_metadata(_: Authorized, context: ContextDep) -> dict[str, Any]:
    return own_metadata(context.settings).to_json()


@router.post(QUERY_PATH, summary="Run a planned query on this node's shard")
async def node_query(_: Authorized, context: ContextDep, request: Request) -> Response:
    answer = await answer_query(local_engine(context), await read_json(request))
    return await encoded_off_loop(answer)


@router.post(OPERATION_PATH, summary="Run a metadata operation on this node's shard")
async def node_operation(
    _: Authorized, context: ContextDep, request: Request, operation: str
) -> dict[str, Any]:
    return await answer_operation(
        lambda group: local_metadata(context, group), operation, await read_json(request)
    )
