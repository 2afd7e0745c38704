"""Cluster nodes as the federating node sees them: their metadata, and the two kinds of node
(this process itself, or a peer over the node protocol) behind one small protocol.

A node answers a planned query for its shard and a metadata operation, and says who it is.
``NodeError`` is the one failure a node reports, with the node's address in its message, so a
shard error can name it. No discovery and no retries here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from heroic_core.errors import HeroicError


class NodeError(HeroicError):
    """A node did not answer, refused, or answered something that is not the protocol."""


@dataclass(frozen=True, slots=True)
class NodeMetadata:
    """Upstream's ``NodeMetadata``: protocol version, node id, shard tags, service."""

    version: int
    id: str
    tags: dict[str, str] = field(default_factory=dict)
    service: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "id": self.id, "tags": self.tags, "service": self.service}

    @classmethod
    def from_json(cls, obj: Any) -> NodeMetadata:
        """Decode a peer's answer; ``ValueError`` when it is not node metadata."""
        try:
            tags = obj["tags"] or {}
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
                raise TypeError("tags must map strings to strings")
            return cls(
                int(obj["version"]), str(obj["id"]), dict(tags), dict(obj.get("service") or {})
            )
        except (TypeError, KeyError, AttributeError, ValueError) as exc:
            raise ValueError(f"not node metadata: {exc}") from None


class ClusterNode(Protocol):
    """One node of the cluster, local or remote."""

    @property
    def uri(self) -> str: ...

    @property
    def metadata(self) -> NodeMetadata: ...

    async def query(self, request: dict[str, Any]) -> Any:
        """The shard answer (JSON) to a ``NodeQueryRequest``; ``NodeError`` on failure."""
        ...

    async def metadata_operation(self, name: str, body: dict[str, Any]) -> Any:
        """The public JSON answer of ``/metadata/<name>`` on this node's shard."""
        ...

    async def fetch_metadata(self) -> NodeMetadata:
        """Ask the node who it is now (a refresh compares it with ``metadata``)."""
        ...

    async def close(self) -> None: ...
