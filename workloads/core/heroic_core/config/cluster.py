"""The ``cluster:`` section: node identity, shard tags, discovery, node protocol and topology
(reference 10, 12).

Nodes with identical ``tags`` form one shard; an API node whose config has ``discovery`` sends
each query to one node of every shard it finds (``heroic_api.cluster``). Upstream's node
protocols are gRPC and an in-process JVM one; ours is ``type: http`` (JSON over HTTP, versioned,
protected by a shared bearer token read from a file or an environment variable, as a mounted
Secret provides it). ``grpc`` and ``jvm`` entries still load, so upstream files do, but serve
nothing. This module describes configuration only; it never reads the token itself until
asked (``HttpProtocolConfig.resolve_token``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    BaseModel,
    BeforeValidator,
    Field,
    SerializerFunctionWrapHandler,
    field_serializer,
    model_validator,
)

from heroic_core.config.common import ConfigModel, Duration, duration_default

#: URL schemes of node addresses that our node protocol can talk to.
HTTP_SCHEMES = ("http", "https")


class StaticDiscoveryConfig(ConfigModel):
    """``discovery: {type: static, nodes: [http://host:port, ...]}``."""

    type: Literal["static"]
    nodes: list[str] = Field(default_factory=list)


class SrvDiscoveryConfig(ConfigModel):
    """``discovery: {type: srv, records, protocol, port}``: every target of the SRV records
    becomes ``<protocol>://<target>:<port or the record's port>``.

    ``protocol`` defaults to ``http`` (upstream: ``grpc``, which is not served here).
    ``nameservers`` (ours) asks those servers (``host`` or ``host:port``) instead of the
    system's resolver."""

    type: Literal["srv"]
    records: list[str] = Field(default_factory=list)
    protocol: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    nameservers: list[str] = Field(default_factory=list)


DiscoveryConfig = Annotated[StaticDiscoveryConfig | SrvDiscoveryConfig, Field(discriminator="type")]


def _as_sources(value: object) -> object:
    """Upstream's one discovery source is a list of one."""
    return [value] if isinstance(value, Mapping | BaseModel) else value


#: ``discovery``: one source (upstream's form) or a list of them (ours), whose addresses are
#: joined; e.g. the SRV records of a site's own pods beside static peer URLs.
DiscoverySources = Annotated[
    list[DiscoveryConfig], BeforeValidator(_as_sources), Field(min_length=1)
]


class GrpcProtocolConfig(ConfigModel):
    """Upstream's gRPC node protocol: accepted so that upstream files load, not served."""

    type: Literal["grpc"]
    host: str = "0.0.0.0"  # noqa: S104 - upstream's default: listen on every interface
    port: int = Field(default=9698, ge=0, le=65535)
    max_frame_size: int = Field(default=10_000_000, ge=1)


class JvmProtocolConfig(ConfigModel):
    """In-process RPC used by upstream's tests: accepted, not served."""

    type: Literal["jvm"]
    bind_name: str = "heroic-jvm"


class HttpProtocolConfig(ConfigModel):
    """``{type: http}`` (ours): the node protocol, served under ``/internal/v1`` on the API port.

    Peers must present the shared token as ``Authorization: Bearer <token>``. Give exactly one
    of ``tokenFile`` (a path, e.g. a mounted Secret) or ``tokenEnv`` (an environment variable,
    e.g. set from a Secret); the config file itself never holds the token. ``timeout`` bounds
    one shard's answer (a slower shard is reported as failed), ``connectTimeout`` a connection,
    ``maxConcurrentRequests`` the requests in flight to one peer. ``caFile`` verifies
    ``https`` peers against that CA bundle instead of the system's.
    """

    type: Literal["http"]
    token_file: str | None = None
    token_env: str | None = None
    timeout: Duration = duration_default("30s")
    connect_timeout: Duration = duration_default("5s")
    max_concurrent_requests: int = Field(default=32, ge=1)
    ca_file: str | None = None

    @model_validator(mode="after")
    def _one_token_source(self) -> HttpProtocolConfig:
        given = [x for x in (self.token_file, self.token_env) if x]
        if len(given) != 1:
            raise ValueError("give exactly one of tokenFile or tokenEnv (the node-protocol token)")
        return self

    def resolve_token(self) -> str:
        """The token from its file or variable; ``ValueError`` naming the source if missing."""
        if self.token_env:
            value = os.environ.get(self.token_env, "").strip()
            if not value:
                raise ValueError(f"environment variable {self.token_env} (token) is not set")
            return value
        assert self.token_file is not None  # noqa: S101 - guaranteed by the validator
        try:
            value = Path(self.token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"cannot read tokenFile {self.token_file}: {exc.strerror}") from None
        if not value:
            raise ValueError(f"tokenFile {self.token_file} is empty")
        return value


ProtocolConfig = Annotated[
    GrpcProtocolConfig | JvmProtocolConfig | HttpProtocolConfig, Field(discriminator="type")
]


class ClusterConfig(ConfigModel):
    """``cluster:``. Nodes with identical ``tags`` form one shard.

    Federation is on when ``discovery`` is set and an ``http`` protocol gives the token (an
    upstream file with only ``grpc`` loads, and the API node warns that it does not federate):
    queries, batches, ``/metadata/*`` and suggest calls then go to one node of every shard (the
    local node among them when ``useLocal``).
    ``topology`` names shards that must answer: one without a node is a ``shard`` error.
    ``refreshInterval`` (ours; upstream: one minute) paces the re-discovery. ``discovery`` may
    be a list of sources (ours), e.g. ``srv`` for a site's own pods and ``static`` for its
    peers: every source is asked and the addresses joined. It is kept as a list either way and
    written back as one source when there is one.
    """

    id: UUID | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    use_local: bool = True
    discovery: DiscoverySources | None = None
    protocols: list[ProtocolConfig] = Field(default_factory=list)
    topology: list[dict[str, str]] | None = None
    refresh_interval: Duration = duration_default("1m")

    @field_serializer("discovery", mode="wrap")
    def _one_source_as_upstream(
        self, sources: list[DiscoveryConfig] | None, handler: SerializerFunctionWrapHandler
    ) -> Any:
        out = handler(sources)
        return out[0] if isinstance(out, list) and len(out) == 1 else out

    def http_protocol(self) -> HttpProtocolConfig | None:
        """The ``type: http`` protocol entry, if any (the first one)."""
        for protocol in self.protocols:
            if isinstance(protocol, HttpProtocolConfig):
                return protocol
        return None
