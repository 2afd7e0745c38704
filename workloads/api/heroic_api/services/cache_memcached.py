"""The memcached store of the query result cache (``cache: {type: memcached}``), on emcache.

Answers are gzip-compressed, as upstream stores them, and spread over ``addresses`` by the
client (rendezvous hashing), so every node configured with the same servers shares them. The
client connects on first use; a server that does not answer makes that lookup a miss (the
caller logs and counts it). Expiry is memcached's, in whole seconds. This module must not
decide what is cached: ``services.cache`` does.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import emcache

#: Memcached reads an expiry of more than 30 days as a Unix time, so longer TTLs are capped.
MAX_EXPIRY_SECONDS = 30 * 24 * 3600
#: Seconds a get or set may take before the lookup counts as failed.
OPERATION_TIMEOUT = 1.0
CONNECTIONS_PER_SERVER = 8
DEFAULT_PORT = 11211


def parse_address(address: str) -> tuple[str, int]:
    """``host[:port]`` (the config validated it) as host and port."""
    host, sep, port = address.rpartition(":")
    return (host, int(port)) if sep else (address, DEFAULT_PORT)


class MemcachedResultStore:
    """Encoded answers on memcached servers."""

    def __init__(self, addresses: Sequence[str]) -> None:
        try:
            import emcache  # noqa: PLC0415 - only nodes with a memcached cache need it
        except ImportError as exc:
            raise RuntimeError(
                "cache.type memcached needs the emcache package "
                "(pip install 'heroic-on-kubernetes[backends]')"
            ) from exc
        self._emcache = emcache
        self._addresses = [emcache.MemcachedHostAddress(*parse_address(a)) for a in addresses]
        self._client: emcache.Client | None = None
        self._lock = asyncio.Lock()

    async def _connected(self) -> emcache.Client:
        async with self._lock:
            if self._client is None:
                self._client = await self._emcache.create_client(
                    self._addresses,
                    timeout=OPERATION_TIMEOUT,
                    connection_timeout=OPERATION_TIMEOUT,
                    max_connections=CONNECTIONS_PER_SERVER,
                )
            return self._client

    async def get(self, key: str, now: int) -> bytes | None:
        del now  # memcached expires entries by its own clock
        item = await (await self._connected()).get(key.encode())
        return None if item is None else gzip.decompress(item.value)

    async def set(self, key: str, value: bytes, now: int, ttl_ms: int) -> None:
        del now
        expiry = min(ttl_ms // 1000, MAX_EXPIRY_SECONDS)
        client = await self._connected()
        await client.set(key.encode(), gzip.compress(value, compresslevel=1), exptime=expiry)

    async def close(self) -> None:
        async with self._lock:
            if self._client is not None:
                await self._client.close()
                self._client = None
