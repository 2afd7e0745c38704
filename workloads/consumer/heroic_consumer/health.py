"""A tiny HTTP server for probes and Prometheus: ``/healthz``, ``/readyz``, ``/status`` and
``/metrics``.

It runs on the node's event loop (``asyncio.start_server``) so it adds no thread and no
framework. ``/healthz`` answers 200 while the consumption loop is alive, ``/readyz`` 200 while
the node consumes and its backends accept writes, ``/status`` upstream's JSON status body
(``status.py``; 200 or 503), ``/metrics`` the text exposition of the node's registry. Only
GET/HEAD are served; the server never changes the node's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 503: "Service Unavailable"}
_MAX_HEADER_LINES = 100


@dataclass(frozen=True, slots=True)
class Probes:
    """What the endpoints report; each callable returns ``(ok, detail)``."""

    live: Callable[[], tuple[bool, str]]
    ready: Callable[[], tuple[bool, str]]
    registry: CollectorRegistry
    #: ``/status``: (HTTP status, JSON body); absent, the path is not served.
    status: Callable[[], Awaitable[tuple[int, dict[str, Any]]]] | None = None


def _response(status: int, body: bytes, content_type: str, head: bool) -> bytes:
    header = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return header.encode("ascii") + (b"" if head else body)


async def _route(probes: Probes, method: str, path: str) -> bytes:
    head = method == "HEAD"
    if method not in ("GET", "HEAD"):
        return _response(405, b"method not allowed\n", "text/plain", head)
    path = path.split("?", 1)[0]
    if path == "/metrics":
        return _response(200, generate_latest(probes.registry), CONTENT_TYPE_LATEST, head)
    if path == "/status" and probes.status is not None:
        code, body = await probes.status()
        return _response(code, json.dumps(body).encode(), "application/json", head)
    check = {"/healthz": probes.live, "/readyz": probes.ready}.get(path)
    if check is None:
        return _response(404, b"not found\n", "text/plain", head)
    ok, detail = check()
    return _response(200 if ok else 503, f"{detail}\n".encode(), "text/plain", head)


async def _handle(
    probes: Probes, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        request = await asyncio.wait_for(reader.readline(), timeout=10)
        for _ in range(_MAX_HEADER_LINES):
            line = await asyncio.wait_for(reader.readline(), timeout=10)
            if line in (b"\r\n", b"\n", b""):
                break
        parts = request.decode("latin-1").split()
        if len(parts) < 2:
            return
        writer.write(await _route(probes, parts[0].upper(), parts[1]))
        await writer.drain()
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def start_health_server(probes: Probes, host: str, port: int) -> asyncio.Server:
    """Listen on ``host:port`` (port 0 picks a free one); close the returned server to stop."""
    server = await asyncio.start_server(
        lambda r, w: _handle(probes, r, w), host=host, port=port, reuse_address=True
    )
    bound = server.sockets[0].getsockname()
    log.info("Health server listening on %s:%s", bound[0], bound[1], extra={"port": bound[1]})
    return server
