"""The request span of every HTTP request, continuing the caller's W3C ``traceparent``.

Pure ASGI and outermost, installed only when tracing is on. The span is a SERVER span named
``<method> <route template>`` with OpenTelemetry's HTTP attributes, upstream's ``tags`` and the
``requestHeadersToTags`` headers. It must not read bodies or change the response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heroic_api.metrics import UNMATCHED, endpoint_label
from heroic_api.tracing.setup import Tracing

_PROPAGATOR = TraceContextTextMapPropagator()


def install_tracing(app: Starlette, tracing: Tracing) -> None:
    """Add the request span as the outermost middleware when tracing is on."""
    if tracing.config is None or not tracing.enabled:
        return
    app.add_middleware(
        TracingMiddleware,
        tracer=tracing.tracer,
        tags=tracing.config.tags,
        request_headers=tracing.config.request_headers_to_tags,
    )


class TracingMiddleware:
    """Opens the request span (see module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        tracer: Tracer,
        tags: Mapping[str, str | int | bool],
        request_headers: list[str],
    ) -> None:
        self.app = app
        self.tracer = tracer
        self.tags = dict(tags)
        self.request_headers = [name.lower() for name in request_headers]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        parent = _PROPAGATOR.extract(headers)
        method = scope["method"]
        with self.tracer.start_as_current_span(
            method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes=self._attributes(scope, headers),
        ) as span:

            async def send_wrapper(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status = int(message["status"])
                    span.set_attribute("http.response.status_code", status)
                    if status >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                await send(message)

            try:
                await self.app(scope, receive, send_wrapper)
            finally:
                route = endpoint_label(scope)
                if route != UNMATCHED:
                    span.set_attribute("http.route", route)
                    span.update_name(f"{method} {route}")

    def _attributes(self, scope: Scope, headers: Headers) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            **self.tags,
            "http.request.method": scope["method"],
            "url.path": scope["path"],
            "url.scheme": scope.get("scheme", "http"),
        }
        client = scope.get("client")
        if client:
            attributes["client.address"] = client[0]
        if "user-agent" in headers:
            attributes["user_agent.original"] = headers["user-agent"]
        for name in self.request_headers:
            values = headers.getlist(name)
            if values:
                attributes[f"http.request.header.{name}"] = values
        return attributes
