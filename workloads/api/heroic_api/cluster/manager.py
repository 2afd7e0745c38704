"""The cluster's state on a federating node (upstream's ``CoreClusterManager``): which nodes
exist, refreshed from discovery and the static nodes added at run time.

A refresh finds addresses (static nodes first, then discovery), asks each new address for its
metadata, re-asks the known ones and replaces a node whose metadata changed, drops the nodes
no longer found, and swaps in a new ``Registry``. A node whose id is this node's is served in
process (``useLocal``); with ``useLocal`` and nothing found, this node alone is the cluster.
Refreshes run one at a time: at start (in the background), every ``refreshInterval`` (sooner,
backing off from half a second, while some address fails), and on request
(``/cluster/refresh``, adding or removing a static node). Failures are logged per address and
never stop the node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from heroic_api.cluster.discovery import Discovery
from heroic_api.cluster.local import LocalNode
from heroic_api.cluster.nodes import ClusterNode, NodeError
from heroic_api.cluster.registry import Registry, Tags
from heroic_core.config.cluster import HTTP_SCHEMES

logger = logging.getLogger(__name__)

Connect = Callable[[str], Awaitable[ClusterNode]]
RETRY_SECONDS = 0.5


class ClusterManager:
    """Owns the peers' clients and the current ``Registry``."""

    def __init__(
        self,
        local: LocalNode,
        discovery: Discovery,
        connect: Connect,
        *,
        use_local: bool = True,
        topology: Sequence[Tags] = (),
        refresh_interval: float = 60.0,
    ) -> None:
        self.local = local
        self.discovery = discovery
        self.connect = connect
        self.use_local = use_local
        self.topology = [dict(t) for t in topology]
        self.refresh_interval = refresh_interval
        self.static_nodes: list[str] = []
        self.registry = Registry((local,) if use_local else (), 0, self.topology)
        self._clients: dict[str, ClusterNode] = {}
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._refreshes = 0
        self._refreshed = asyncio.Event()

    async def start(self) -> None:
        """Refresh in the background from now on (the first one right away)."""
        self._task = asyncio.create_task(self._periodically(), name="cluster-refresh")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        async with self._lock:
            clients, self._clients = self._clients, {}
        await asyncio.gather(*(c.close() for c in clients.values()), return_exceptions=True)

    async def _periodically(self) -> None:
        # While some address fails, look again soon (doubling up to the interval): peers
        # start in any order, and this node's own address answers only once it listens.
        # A refresh made meanwhile (/cluster/refresh, a node added) wakes the loop, which
        # re-plans its wait from that refresh's outcome: a quick retry it made needless must
        # not drop a node later, and one it found offline gets quick retries of its own.
        delay = self._next_delay(0.0, failed=not await self._refresh_logged())
        while True:
            self._refreshed.clear()
            failed = False
            try:
                async with asyncio.timeout(delay or self.refresh_interval):
                    await self._refreshed.wait()
            except TimeoutError:
                failed = not await self._refresh_logged()
            delay = self._next_delay(delay, failed=failed)

    async def _refresh_logged(self) -> bool:
        """A background refresh; False (and logged) if it failed."""
        try:
            await self.refresh()
        except Exception:
            logger.exception("Cluster refresh failed")
            return False
        return True

    def _next_delay(self, delay: float, *, failed: bool = False) -> float:
        """After a refresh: 0 (wait the whole interval) when it succeeded and every address
        answered; else the first quick retry if none was pending, or the pending one doubled
        (up to the interval)."""
        if not failed and not self.registry.offline:
            return 0.0
        return min(delay * 2, self.refresh_interval) if delay else RETRY_SECONDS

    async def add_static_node(self, uri: str) -> None:
        if uri not in self.static_nodes:
            self.static_nodes.append(uri)
            await self.refresh()

    async def remove_static_node(self, uri: str) -> None:
        if uri in self.static_nodes:
            self.static_nodes.remove(uri)
            await self.refresh()

    async def refresh(self) -> Registry:
        """Re-discover and swap in a new registry (one refresh at a time)."""
        async with self._lock:
            self._refreshes += 1
            found = list(dict.fromkeys([*self.static_nodes, *await self.discovery.find()]))
            old = self._clients
            updates = await asyncio.gather(*(self._update(uri, old.get(uri)) for uri in found))
            clients = {uri: node for uri, node in zip(found, updates, strict=True) if node}
            stale = [n for uri, n in old.items() if clients.get(uri) is not n]
            self._clients = clients
            nodes = list(dict.fromkeys(clients.values()))
            if not nodes and self.use_local:
                nodes = [self.local]
            self.registry = Registry(tuple(nodes), len(found) - len(clients), self.topology)
            self._refreshed.set()
        await asyncio.gather(*(n.close() for n in stale), return_exceptions=True)
        logger.info(
            "Cluster refreshed",
            extra={
                "refresh": self._refreshes,
                "online": len(self.registry.nodes),
                "offline": self.registry.offline,
                "shards": [dict(s) for s in self.registry.shards()],
            },
        )
        return self.registry

    async def _update(self, uri: str, known: ClusterNode | None) -> ClusterNode | None:
        """The node to keep for ``uri`` (``None``: it failed; logged)."""
        try:
            if known is not None:
                if known is self.local or await known.fetch_metadata() == known.metadata:
                    return known
                logger.info("Node metadata changed; reconnecting", extra={"node": uri})
            return await self._create(uri)
        except NodeError as exc:
            logger.error("Cluster node failed", extra={"node": uri, "error": str(exc)})
            return None

    async def _create(self, uri: str) -> ClusterNode:
        scheme = uri.split("://", 1)[0] if "://" in uri else ""
        if scheme not in HTTP_SCHEMES:
            raise NodeError(f"{uri}: unsupported protocol ({scheme or 'none'}); use http(s)://")
        node = await self.connect(uri)
        if self.use_local and node.metadata.id == self.local.metadata.id:
            await node.close()
            return self.local
        return node
