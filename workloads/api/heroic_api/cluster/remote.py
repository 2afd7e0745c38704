"""A peer node over the node protocol (HTTP, JSON): ``RemoteNode``.

One ``httpx.AsyncClient`` per peer with the connect and request timeouts of the ``http``
protocol, the shared token as ``Authorization: Bearer``, the federated marker on every request,
and at most ``maxConcurrentRequests`` requests in flight (a semaphore: the rest wait their
turn rather than open more connections). Every failure (unreachable, timed out, refused, a
non-2xx answer, a body that is not JSON) becomes a ``NodeError`` naming the peer. The only
module that uses httpx.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from heroic_api.cluster.nodes import NodeError, NodeMetadata
from heroic_api.cluster.protocol import (
    FEDERATED_HEADER,
    METADATA_PATH,
    OPERATION_PATH,
    PROTOCOL_VERSION,
    QUERY_PATH,
    VERSION_HEADER,
)


class PeerSettings:
    """How to talk to peers: token, timeouts (seconds), concurrency, CA bundle."""

    def __init__(
        self,
        token: str,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 5.0,
        max_concurrent_requests: int = 32,
        ca_file: str | None = None,
        origin: str = "",
    ) -> None:
        self.token = token
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.max_concurrent_requests = max_concurrent_requests
        self.ca_file = ca_file
        self.origin = origin


class RemoteNode:
    """A peer at ``uri`` (``http(s)://host:port``) whose metadata was fetched once."""

    def __init__(self, uri: str, settings: PeerSettings, metadata: NodeMetadata | None = None):
        self._uri = uri.rstrip("/")
        self._metadata = metadata
        self._slots = asyncio.Semaphore(settings.max_concurrent_requests)
        self._client = httpx.AsyncClient(
            base_url=self._uri,
            timeout=httpx.Timeout(settings.timeout, connect=settings.connect_timeout),
            limits=httpx.Limits(max_connections=settings.max_concurrent_requests),
            headers={
                "authorization": f"Bearer {settings.token}",
                VERSION_HEADER: str(PROTOCOL_VERSION),
                FEDERATED_HEADER: settings.origin or "1",
            },
            verify=settings.ca_file if settings.ca_file else True,
        )

    @classmethod
    async def connect(cls, uri: str, settings: PeerSettings) -> RemoteNode:
        """A node for ``uri`` with its metadata; ``NodeError`` (client closed) on failure."""
        node = cls(uri, settings)
        try:
            node._metadata = await node.fetch_metadata()
        except BaseException:
            await node.close()
            raise
        return node

    @property
    def uri(self) -> str:
        return self._uri

    @property
    def metadata(self) -> NodeMetadata:
        if self._metadata is None:
            raise NodeError(f"{self._uri}: metadata not fetched yet")
        return self._metadata

    def __str__(self) -> str:
        return self._uri

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        async with self._slots:
            try:
                response = await self._client.request(method, path, json=body)
            except httpx.TimeoutException as exc:
                raise NodeError(f"{self._uri}: timed out ({type(exc).__name__})") from exc
            except httpx.HTTPError as exc:
                raise NodeError(f"{self._uri}: {str(exc) or type(exc).__name__}") from exc
        if response.status_code in (401, 403):
            raise NodeError(f"{self._uri}: refused the node-protocol token")
        if response.status_code != 200:
            raise NodeError(f"{self._uri}: {_error_message(response)}")
        try:
            return response.json()
        except ValueError as exc:
            raise NodeError(f"{self._uri}: answered something that is not JSON") from exc

    async def fetch_metadata(self) -> NodeMetadata:
        try:
            return NodeMetadata.from_json(await self._call("GET", METADATA_PATH))
        except ValueError as exc:
            raise NodeError(f"{self._uri}: {exc}") from exc

    async def query(self, request: dict[str, Any]) -> Any:
        return await self._call("POST", QUERY_PATH, request)

    async def metadata_operation(self, name: str, body: dict[str, Any]) -> Any:
        return await self._call("POST", OPERATION_PATH.format(operation=name), body)

    async def close(self) -> None:
        await self._client.aclose()


def _error_message(response: httpx.Response) -> str:
    """The peer's error message (upstream's error body), else the status line."""
    try:
        message = response.json().get("message")
    except (ValueError, AttributeError):
        message = None
    return f"HTTP {response.status_code}" + (f": {message}" if message else "")
