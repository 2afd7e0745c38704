"""The ``cluster:`` section: node identity, shard tags, discovery and RPC protocols (reference
10, 12). Describes configuration only; federation itself is not part of the shared core."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import Field

from heroic_core.config.common import ConfigModel


class StaticDiscoveryConfig(ConfigModel):
    """``discovery: {type: static, nodes: [grpc://host:port, ...]}``."""

    type: Literal["static"]
    nodes: list[str] = Field(default_factory=list)


class SrvDiscoveryConfig(ConfigModel):
    """``discovery: {type: srv, records, protocol, port}``."""

    type: Literal["srv"]
    records: list[str] = Field(default_factory=list)
    protocol: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)


DiscoveryConfig = Annotated[StaticDiscoveryConfig | SrvDiscoveryConfig, Field(discriminator="type")]


class GrpcProtocolConfig(ConfigModel):
    type: Literal["grpc"]
    host: str = "0.0.0.0"  # noqa: S104 - upstream's default: listen on every interface
    port: int = Field(default=9698, ge=0, le=65535)
    max_frame_size: int = Field(default=10_000_000, ge=1)


class JvmProtocolConfig(ConfigModel):
    """In-process RPC used by upstream's tests."""

    type: Literal["jvm"]
    bind_name: str = "heroic-jvm"


ProtocolConfig = Annotated[GrpcProtocolConfig | JvmProtocolConfig, Field(discriminator="type")]


class ClusterConfig(ConfigModel):
    """``cluster:``. Nodes with identical ``tags`` form one shard."""

    id: UUID | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    use_local: bool = True
    discovery: DiscoveryConfig | None = None
    protocols: list[ProtocolConfig] = Field(default_factory=list)
    topology: list[dict[str, str]] | None = None
