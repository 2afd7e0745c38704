"""One refresh's view of the cluster (upstream's ``NodeRegistry``): the nodes that answered,
grouped into shards by their tags, and how many addresses did not answer.

Shards are the distinct tag maps of the nodes, plus the expected ones of ``topology`` that no
node serves (queries then report them as failed). A shard whose tags have the key
``darkload`` is queried but its answers are ignored. Immutable; the manager swaps whole
registries.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from heroic_api.cluster.nodes import ClusterNode

DARKLOAD = "darkload"
Tags = dict[str, str]


def tags_id(tags: Tags) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(tags.items()))


def shard_name(tags: Tags) -> str:
    """``{k=v, ...}`` as upstream prints a shard."""
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(tags.items())) + "}"


def is_darkload(tags: Tags) -> bool:
    return DARKLOAD in tags


@dataclass(frozen=True)
class Registry:
    """The nodes online after a refresh, and the addresses that failed."""

    nodes: Sequence[ClusterNode] = ()
    offline: int = 0
    topology: Sequence[Tags] = ()
    _rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def shards(self) -> list[Tags]:
        """Every shard: those of the nodes, in first-seen order, then the expected ones
        without a node."""
        seen: dict[tuple[tuple[str, str], ...], Tags] = {}
        for node in self.nodes:
            seen.setdefault(tags_id(node.metadata.tags), dict(node.metadata.tags))
        for expected in self.topology:
            seen.setdefault(tags_id(expected), dict(expected))
        return list(seen.values())

    def nodes_in(self, tags: Tags) -> list[ClusterNode]:
        wanted = tags_id(tags)
        return [n for n in self.nodes if tags_id(n.metadata.tags) == wanted]

    def pick(self, tags: Tags, exclude: Callable[[ClusterNode], bool]) -> ClusterNode | None:
        """A random node of the shard that ``exclude`` does not rule out."""
        candidates = [n for n in self.nodes_in(tags) if not exclude(n)]
        return self._rng.choice(candidates) if candidates else None

    def statistics(self) -> dict[str, int]:
        """``onlineNodes`` / ``offlineNodes`` of ``/status`` and ``/cluster/status``."""
        return {"onlineNodes": len(self.nodes), "offlineNodes": self.offline}

    def node_status(self) -> list[dict[str, Any]]:
        """``nodes`` of ``/cluster/status`` (upstream's ``ClusterNodeStatus``)."""
        return [
            {
                "node": str(n),
                "id": n.metadata.id,
                "version": n.metadata.version,
                "tags": dict(n.metadata.tags),
            }
            for n in self.nodes
        ]
