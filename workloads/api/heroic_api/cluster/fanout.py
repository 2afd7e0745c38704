"""Run one call on every shard of the cluster: one node per shard, another node of the same
shard when one fails (upstream's ``ClusterShard.apply``), each shard within its timeout.

A shard that cannot answer becomes upstream's ``shard`` error (its nodes, its tags, and why,
``"<msg>, caused by <cause>"``) beside the answers of the others. Darkload shards are called too,
in the background, and their answers dropped. Nothing here knows what is being asked.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from heroic_api.cluster.nodes import ClusterNode
from heroic_api.cluster.registry import Registry, Tags, is_darkload, shard_name
from heroic_api.tracing.spans import child_span

logger = logging.getLogger(__name__)

T = TypeVar("T")
Call = Callable[[ClusterNode], Awaitable[T]]

NO_NODE = "No groups available"  # upstream's message: the shard has no node left to try


class ShardFailedError(Exception):
    """Every node of a shard failed, or the shard timed out."""

    def __init__(self, tags: Tags, nodes: list[str], message: str) -> None:
        super().__init__(message)
        self.tags = tags
        self.nodes = nodes
        self.message = message

    def to_error(self) -> dict[str, Any]:
        return {"type": "shard", "nodes": self.nodes, "shard": self.tags, "error": self.message}


@dataclass(frozen=True, slots=True)
class ShardOutcome(Generic[T]):
    """One shard's answer, or its failure."""

    tags: Tags
    answer: T | None
    failure: ShardFailedError | None


def _cause(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


async def _on_shard(registry: Registry, tags: Tags, call: Call[T]) -> T:
    tried: list[ClusterNode] = []
    causes: list[str] = []
    while (node := registry.pick(tags, lambda n: n in tried)) is not None:
        tried.append(node)
        try:
            return await call(node)
        except Exception as exc:  # noqa: BLE001 - any failure of one node: try another
            logger.warning("Shard node failed", extra={"node": str(node), "error": _cause(exc)})
            causes.append(f"{node}: {_cause(exc)}")
    nodes = [str(n) for n in registry.nodes_in(tags)]
    message = NO_NODE if not causes else f"{NO_NODE}, caused by {'; '.join(causes)}"
    raise ShardFailedError(tags, nodes, message)


async def on_shard(
    registry: Registry, tags: Tags, call: Call[T], timeout: float
) -> ShardOutcome[T]:
    """``call`` on one node of the shard ``tags``, retried on its other nodes."""
    name = shard_name(tags)
    with child_span("coreQueryManager.shard", key=name, attributes={"heroic.shard": name}):
        try:
            async with asyncio.timeout(timeout):
                return ShardOutcome(tags, await _on_shard(registry, tags, call), None)
        except ShardFailedError as failure:
            return ShardOutcome(tags, None, failure)
        except TimeoutError:
            nodes = [str(n) for n in registry.nodes_in(tags)]
            message = f"Shard timed out after {timeout:g} s"
            return ShardOutcome(tags, None, ShardFailedError(tags, nodes, message))


class FanOut:
    """Calls every shard of the current registry; keeps darkload calls alive until done."""

    def __init__(self, registry: Callable[[], Registry], timeout: float) -> None:
        self.registry = registry
        self.timeout = timeout
        self._background: set[asyncio.Task[Any]] = set()

    async def all_shards(self, call: Call[T]) -> list[ShardOutcome[T]]:
        """Every non-darkload shard's outcome; darkload shards are called and not awaited."""
        registry = self.registry()
        shards = registry.shards()
        for tags in (t for t in shards if is_darkload(t)):
            task = asyncio.create_task(on_shard(registry, tags, call, self.timeout))
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        live = [t for t in shards if not is_darkload(t)]
        return list(
            await asyncio.gather(*(on_shard(registry, t, call, self.timeout) for t in live))
        )

    async def close(self) -> None:
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
