"""Federation of one API node, wired from ``cluster:``: the cluster manager, the fan-out, the
federated query and metadata services, and the node-protocol token.

``node_token`` is read once at start (a missing file or variable stops the node with the
source named). ``build_federation`` returns ``None`` unless ``cluster.discovery`` is set and
an ``http`` protocol is configured (it warns when only the first is): the node then answers
from its own shard only, as before, and still serves the node protocol when it has a token.
Wiring only; the behaviour lives in the modules it wires.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from heroic_api.cluster.discovery import build_discovery
from heroic_api.cluster.fanout import FanOut
from heroic_api.cluster.federated_query import FederatedQueries
from heroic_api.cluster.local import EngineFactory, LocalNode, MetadataFactory
from heroic_api.cluster.manager import ClusterManager
from heroic_api.cluster.nodes import ClusterNode, NodeMetadata
from heroic_api.cluster.registry import Tags
from heroic_api.cluster.remote import PeerSettings, RemoteNode
from heroic_api.settings import ApiSettings
from heroic_core.config.cluster import ClusterConfig
from heroic_core.config.errors import ConfigError

logger = logging.getLogger(__name__)

NO_PROTOCOL = (
    "heroic.yml: cluster.discovery has no effect: federating needs the node protocol, "
    "cluster.protocols: [{type: http, tokenFile: ...}] (or tokenEnv); serving this shard only"
)
#: ``version`` of node metadata: upstream's (0), which its nodes compare on refresh.
METADATA_VERSION = 0
LOCAL_URI = "local"


def node_token(config: ClusterConfig) -> str | None:
    """The node-protocol token, or ``None`` when no ``http`` protocol is configured."""
    protocol = config.http_protocol()
    if protocol is None:
        return None
    try:
        return protocol.resolve_token()
    except ValueError as exc:
        raise ConfigError(f"cluster.protocols (http): {exc}") from None


def own_metadata(settings: ApiSettings) -> NodeMetadata:
    service = settings.service
    return NodeMetadata(
        METADATA_VERSION,
        settings.node_id,
        dict(settings.shard),
        {"name": service.name, "version": service.version, "id": service.id},
    )


@dataclass
class Federation:
    """What a federating node holds: manager, fan-out, federated queries."""

    manager: ClusterManager
    fanout: FanOut
    queries: FederatedQueries

    def shards(self) -> list[Tags]:
        """The shards a federated answer spans now."""
        return self.manager.registry.shards()

    async def start(self) -> None:
        await self.manager.start()

    async def stop(self) -> None:
        await self.fanout.close()
        await self.manager.stop()


def build_federation(
    config: ClusterConfig,
    settings: ApiSettings,
    token: str | None,
    engine: EngineFactory,
    metadata: MetadataFactory,
) -> Federation | None:
    """The federation ``cluster:`` asks for, or ``None`` without ``discovery``."""
    protocol = config.http_protocol()
    if config.discovery is None:
        return None
    if protocol is None or token is None:
        logger.warning(NO_PROTOCOL)
        return None
    peers = PeerSettings(
        token,
        timeout=protocol.timeout.seconds,
        connect_timeout=protocol.connect_timeout.seconds,
        max_concurrent_requests=protocol.max_concurrent_requests,
        ca_file=protocol.ca_file,
        origin=settings.node_id,
    )

    async def connect(uri: str) -> ClusterNode:
        return await RemoteNode.connect(uri, peers)

    local = LocalNode(LOCAL_URI, own_metadata(settings), engine, metadata)
    manager = ClusterManager(
        local,
        build_discovery(config.discovery),
        connect,
        use_local=config.use_local,
        topology=config.topology or (),
        refresh_interval=config.refresh_interval.seconds,
    )
    fanout = FanOut(lambda: manager.registry, protocol.timeout.seconds)
    return Federation(manager, fanout, FederatedQueries(fanout))
