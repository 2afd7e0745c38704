"""Cross-cutting HTTP behaviour of reference 2.1, as one pure ASGI middleware.

In order: CORS (headers on every response, preflight answered here), the shutdown guard (503
while stopping), upstream's path rewrites (``POST /metrics`` → ``/query/metrics``, ``/tags``,
``/keys``, ``/metrics-stream/*``), then the ``X-Client-Id`` rule for ``/query/*``.

Differences from upstream, on purpose: upstream checks the client id before CORS, so a browser
preflight to ``/query/*`` gets a 400 without CORS headers (reference 13.14); here preflights are
answered before the client-id check and every response, errors included, carries the CORS
headers. This module must not read request bodies or know about endpoints beyond the paths.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heroic_api.errors import AuthenticationError, ShuttingDownError, error_response

QUERY_PREFIX = "/query/"
_REWRITES = {"/tags": "/metadata/tags", "/keys": "/metadata/keys"}


def rewrite_path(method: str, path: str) -> str:
    """Upstream's path rewrites; ``GET /metrics`` stays for Prometheus."""
    if path == "/metrics" and method != "GET":
        return "/query/metrics"
    if path in _REWRITES:
        return _REWRITES[path]
    if path == "/metrics-stream" or path.startswith("/metrics-stream/"):
        return "/query/metrics-stream"
    return path


def is_preflight(method: str, headers: Headers) -> bool:
    """An ``OPTIONS`` request carrying both CORS request headers."""
    return (
        method == "OPTIONS"
        and "access-control-request-headers" in headers
        and "access-control-request-method" in headers
    )


class HeroicMiddleware:
    """CORS, shutdown guard, path rewrites and the client-id rule (see module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        enable_cors: bool,
        cors_allow_origin: str,
        is_stopping: Callable[[], bool],
    ) -> None:
        self.app = app
        self.enable_cors = enable_cors
        self.cors_allow_origin = cors_allow_origin
        self.is_stopping = is_stopping

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self.enable_cors:
            preflight = is_preflight(scope["method"], headers)
            send = self._cors_send(send, headers if preflight else None)
            if preflight:
                await _empty_ok(send)
                return
        if self.is_stopping():
            await error_response(ShuttingDownError())(scope, receive, send)
            return
        path = rewrite_path(scope["method"], scope["path"])
        if path != scope["path"]:
            # In place: outer middleware (metrics) reads the matched route from this dict.
            scope["path"] = path
            scope["raw_path"] = path.encode("ascii")
        if path.startswith(QUERY_PREFIX) and not headers.get("x-client-id", "").strip():
            await error_response(AuthenticationError())(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _cors_send(self, send: Send, preflight: Headers | None) -> Send:
        """``send`` adding CORS headers; a preflight's request headers are echoed back."""
        allow_headers = (
            preflight.get("access-control-request-headers") if preflight is not None else None
        )
        allow_methods = (
            preflight.get("access-control-request-method") if preflight is not None else None
        )

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["Access-Control-Allow-Origin"] = self.cors_allow_origin
                if allow_headers is not None and allow_methods is not None:
                    response_headers["Access-Control-Allow-Headers"] = allow_headers
                    response_headers["Access-Control-Allow-Methods"] = allow_methods
            await send(message)

        return send_with_cors


async def _empty_ok(send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})
