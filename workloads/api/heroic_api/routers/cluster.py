"""``/cluster/*``: the federation admin endpoints (upstream's ``ClusterResource``).

``GET /cluster/status`` lists the nodes of the current registry (``node``, ``id``, ``version``,
``tags``) with ``statistics`` (``onlineNodes``/``offlineNodes``); ``GET /cluster/nodes`` the
static nodes added at run time (``{"data": [...]}``); ``POST``/``DELETE /cluster/nodes`` (body:
a node address as a JSON string) add or remove one and refresh, answering
``{"data": true}``; ``POST /cluster/refresh`` re-discovers. A node without
``cluster.discovery`` does not federate: its status lists itself and the changes are refused
with a 400 saying why. Routes only.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from heroic_api.body import read_json
from heroic_api.cluster.federation import LOCAL_URI, own_metadata
from heroic_api.cluster.manager import ClusterManager
from heroic_api.context import ApiContext
from heroic_api.dependencies import ContextDep
from heroic_api.routing import heroic_router
from heroic_api.services.status import LOCAL_CLUSTER_NODES
from heroic_core.config.cluster import HTTP_SCHEMES
from heroic_core.errors import HeroicError, JsonMappingError

router = heroic_router("cluster")

NO_FEDERATION = (
    "federation is off: heroic.yml has no cluster.discovery, so this node serves only its "
    "own shard and cluster nodes cannot be added, removed or refreshed"
)


def _manager(context: ApiContext) -> ClusterManager:
    if context.federation is None:
        raise HeroicError(NO_FEDERATION)
    return context.federation.manager


async def _node_address(request: Request) -> str:
    uri = await read_json(request)
    if not isinstance(uri, str) or "://" not in uri:
        raise JsonMappingError('expected a node address as a JSON string, e.g. "http://host:8080"')
    if uri.split("://", 1)[0] not in HTTP_SCHEMES:
        raise JsonMappingError(f"unsupported protocol in {uri!r}: use http:// or https://")
    return uri


@router.get("/cluster/status", summary="The nodes of the cluster and their shard tags")
async def cluster_status(context: ContextDep) -> dict[str, Any]:
    if context.federation is None:
        metadata = own_metadata(context.settings)
        node = {"node": LOCAL_URI, "id": metadata.id, "version": metadata.version,
                "tags": metadata.tags}  # fmt: skip
        return {"nodes": [node], "statistics": dict(LOCAL_CLUSTER_NODES)}
    registry = context.federation.manager.registry
    return {"nodes": registry.node_status(), "statistics": registry.statistics()}


@router.get("/cluster/nodes", summary="Static nodes added at run time")
async def cluster_nodes(context: ContextDep) -> dict[str, Any]:
    if context.federation is None:
        return {"data": []}
    return {"data": list(context.federation.manager.static_nodes)}


@router.post("/cluster/nodes", summary="Add a static node and refresh")
async def add_node(context: ContextDep, request: Request) -> dict[str, Any]:
    manager = _manager(context)
    await manager.add_static_node(await _node_address(request))
    return {"data": True}


@router.delete("/cluster/nodes", summary="Remove a static node and refresh")
async def remove_node(context: ContextDep, request: Request) -> dict[str, Any]:
    manager = _manager(context)
    await manager.remove_static_node(await _node_address(request))
    return {"data": True}


@router.post("/cluster/refresh", summary="Re-discover the cluster's nodes")
async def refresh(context: ContextDep) -> dict[str, Any]:
    registry = await _manager(context).refresh()
    return {"nodes": registry.node_status(), "statistics": registry.statistics()}
