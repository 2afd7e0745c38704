"""This node's own shard, answering the node protocol: what ``/internal/v1/*`` runs, and the
``LocalNode`` the federating node uses for itself (``useLocal``) without going over HTTP.

A query arrives planned (``query_wire``) and runs on this node's backends only; a metadata
operation runs as the public endpoint would, locally. Nothing here ever fans out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from heroic_api.cluster.metadata_wire import OPERATIONS
from heroic_api.cluster.nodes import NodeMetadata
from heroic_api.cluster.query_wire import NodeQueryRequest, plan_from_request, shard_answer
from heroic_api.schemas import parse_model
from heroic_api.services.metadata import MetadataService
from heroic_api.services.query import QueryEngine
from heroic_core.errors import HeroicError, JsonMappingError

EngineFactory = Callable[[], QueryEngine]
MetadataFactory = Callable[[str | None], MetadataService]


async def answer_query(engine: QueryEngine, obj: Any) -> dict[str, Any]:
    """Run a peer's planned query on this node's shard; bad requests raise 400 errors."""
    request = parse_model(NodeQueryRequest, obj)
    query, plan = plan_from_request(request)
    result = await engine.run_local_shard(query, plan, request.group)
    return shard_answer(result, raw=request.raw)


async def answer_operation(metadata: MetadataFactory, name: str, obj: Any) -> dict[str, Any]:
    """Run ``/metadata/<name>`` on this node's shard: ``{"request": ..., "group": ...}``."""
    operation = OPERATIONS.get(name)
    if operation is None:
        raise HeroicError(f"unknown metadata operation {name!r}")
    if not isinstance(obj, dict) or "request" not in obj:
        raise JsonMappingError('expected {"request": <body>, "group": <name or null>}', "")
    group = obj.get("group")
    if group is not None and not isinstance(group, str):
        raise JsonMappingError("must be a string or null", "group")
    method = getattr(metadata(group), operation.method)
    answer: dict[str, Any] = await method(obj["request"])
    return answer


class LocalNode:
    """This process as a cluster node."""

    def __init__(
        self, uri: str, metadata: NodeMetadata, engine: EngineFactory, meta: MetadataFactory
    ) -> None:
        self._uri = uri
        self._metadata = metadata
        self._engine = engine
        self._meta = meta

    @property
    def uri(self) -> str:
        return self._uri

    @property
    def metadata(self) -> NodeMetadata:
        return self._metadata

    def __str__(self) -> str:
        return self._uri

    async def query(self, request: dict[str, Any]) -> Any:
        return await answer_query(self._engine(), request)

    async def metadata_operation(self, name: str, body: dict[str, Any]) -> Any:
        return await answer_operation(self._meta, name, body)

    async def fetch_metadata(self) -> NodeMetadata:
        return self._metadata

    async def close(self) -> None:
        return None
