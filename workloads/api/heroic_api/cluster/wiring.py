"""Hooks the cluster into an application's ``ApiContext``: the node-protocol token, the
federation, and the local query engine and metadata service both the node protocol and the
in-process local node use. Called once by ``main.create_app``; no request handling here.
"""

from __future__ import annotations

from heroic_api.cluster.federation import build_federation, node_token
from heroic_api.context import ApiContext
from heroic_api.errors import BackendCallError, ShuttingDownError
from heroic_api.services.metadata import MetadataService
from heroic_api.services.query import QueryEngine
from heroic_core.backends.group import Backends
from heroic_core.config.cluster import ClusterConfig


def _backends(context: ApiContext) -> Backends:
    if context.backends is None:
        if context.stopping:
            raise ShuttingDownError()
        raise BackendCallError("Heroic is starting: backends are not open yet", 503)
    return context.backends


def local_engine(context: ApiContext) -> QueryEngine:
    """A query engine on this node's backends only (what a shard runs)."""
    return QueryEngine(
        context.settings,
        _backends(context),
        context.tracing.tracer,
        admission=context.admission,
    )


def local_metadata(context: ApiContext, group: str | None) -> MetadataService:
    """The metadata service on this node's backends only, now."""
    return MetadataService(_backends(context), context.clock(), group)


def install_federation(context: ApiContext, config: ClusterConfig) -> None:
    """Read the token and build the federation (``ConfigError`` if the token is missing)."""
    context.node_token = node_token(config)
    context.federation = build_federation(
        config,
        context.settings,
        context.node_token,
        lambda: local_engine(context),
        lambda group: local_metadata(context, group),
    )
