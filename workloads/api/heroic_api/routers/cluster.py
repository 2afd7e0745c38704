"""``/cluster/*``: the federation admin endpoints, for a node that does not federate.

This implementation serves its local shard only (no node discovery, no inter-node RPC), so
``GET /cluster/status`` lists exactly this node in upstream's ``ClusterStatus`` shape: ``node``,
``id`` (``cluster.id`` or a random id per start), ``version`` and ``tags`` (``cluster.tags``),
plus ``statistics``. Adding, removing or refreshing nodes is refused with a 400 that says why.
Routes only.
"""

from __future__ import annotations

from typing import Any

from heroic_api.dependencies import SettingsDep
from heroic_api.routing import heroic_router
from heroic_api.services.status import LOCAL_CLUSTER_NODES
from heroic_core.errors import HeroicError

router = heroic_router("cluster")

LOCAL_NODE = "local"
METADATA_VERSION = 0
NO_FEDERATION = (
    "federation is not supported: this node serves only its local shard, "
    "so cluster nodes cannot be added, removed or refreshed"
)


@router.get("/cluster/status", summary="The nodes of the cluster (this node only)")
async def cluster_status(settings: SettingsDep) -> dict[str, Any]:
    node = {
        "node": LOCAL_NODE,
        "id": settings.node_id,
        "version": METADATA_VERSION,
        "tags": dict(settings.shard),
    }
    return {"nodes": [node], "statistics": dict(LOCAL_CLUSTER_NODES)}


@router.get("/cluster/nodes", summary="Static nodes (none: no federation)")
async def cluster_nodes() -> dict[str, Any]:
    return {"data": []}


@router.post("/cluster/nodes", summary="Add a static node (refused: no federation)")
@router.delete("/cluster/nodes", summary="Remove static nodes (refused: no federation)")
@router.post("/cluster/refresh", summary="Refresh the node registry (refused: no federation)")
async def cluster_changes() -> None:
    raise HeroicError(NO_FEDERATION)
