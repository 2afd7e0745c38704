"""Node discovery (upstream's ``discovery/simple``): a static list of addresses, or the targets
of DNS SRV records, each ``<protocol>://<target>:<port>``; or (ours) several such sources, whose
addresses are joined in order without repeats.

SRV lookups go through dnspython's asyncio resolver, to the system's nameservers or to the
``nameservers`` the config names (``host`` or ``host:port``). A record that does not resolve is
logged and contributes nothing, as upstream's; the other records still count. Discovery only
finds addresses; it never contacts a node.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Protocol

import dns.asyncresolver
import dns.exception
import dns.nameserver
import dns.rdtypes.IN.SRV
import dns.resolver

from heroic_core.config.cluster import (
    DiscoveryConfig,
    SrvDiscoveryConfig,
    StaticDiscoveryConfig,
)

logger = logging.getLogger(__name__)

DEFAULT_SRV_PROTOCOL = "http"
LOOKUP_SECONDS = 5.0


class Discovery(Protocol):
    """Finds the addresses of the cluster's nodes."""

    async def find(self) -> list[str]: ...


class StaticDiscovery:
    """The configured list, as is."""

    def __init__(self, nodes: Sequence[str]) -> None:
        self.nodes = list(nodes)

    async def find(self) -> list[str]:
        return list(self.nodes)


def _nameserver(text: str) -> dns.nameserver.Do53Nameserver:
    host, _, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    try:
        return dns.nameserver.Do53Nameserver(host or text, int(port) if port else 53)
    except ValueError as exc:
        raise ValueError(f"invalid nameserver {text!r}: {exc}") from None


class SrvDiscovery:
    """``<protocol>://<target>:<port>`` for every target of every record."""

    def __init__(self, config: SrvDiscoveryConfig) -> None:
        self.records = list(config.records)
        self.protocol = config.protocol or DEFAULT_SRV_PROTOCOL
        self.port = config.port
        if config.nameservers:
            self.resolver = dns.asyncresolver.Resolver(configure=False)
            self.resolver.nameservers = [_nameserver(n) for n in config.nameservers]
        else:
            self.resolver = dns.asyncresolver.Resolver()
        self.resolver.lifetime = LOOKUP_SECONDS

    async def _lookup(self, record: str) -> list[str]:
        try:
            answer = await self.resolver.resolve(record, "SRV", search=False)
        except (dns.exception.DNSException, OSError) as exc:
            logger.error("SRV lookup failed", extra={"record": record, "error": str(exc)})
            return []
        uris = []
        for rdata in answer:
            assert isinstance(rdata, dns.rdtypes.IN.SRV.SRV)  # noqa: S101 - asked for SRV
            target = rdata.target.to_text(omit_final_dot=True)
            uris.append(f"{self.protocol}://{target}:{self.port or rdata.port}")
        return uris

    async def find(self) -> list[str]:
        found = await asyncio.gather(*(self._lookup(r) for r in self.records))
        return [uri for uris in found for uri in uris]


class JoinedDiscovery:
    """Every source's addresses, in the sources' order, each address once."""

    def __init__(self, sources: Sequence[Discovery]) -> None:
        self.sources = list(sources)

    async def find(self) -> list[str]:
        found = await asyncio.gather(*(s.find() for s in self.sources))
        return list(dict.fromkeys(uri for uris in found for uri in uris))


class NoDiscovery:
    """No discovery configured: only the nodes added at run time."""

    async def find(self) -> list[str]:
        return []


def build_discovery(sources: Sequence[DiscoveryConfig] | None) -> Discovery:
    """The discovery ``cluster.discovery`` describes (its sources joined when several)."""
    built = [_source(config) for config in sources or ()]
    if not built:
        return NoDiscovery()
    return built[0] if len(built) == 1 else JoinedDiscovery(built)


def _source(config: DiscoveryConfig) -> Discovery:
    if isinstance(config, StaticDiscoveryConfig):
        return StaticDiscovery(config.nodes)
    return SrvDiscovery(config)
