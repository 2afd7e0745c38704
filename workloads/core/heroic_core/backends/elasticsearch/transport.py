"""The Elasticsearch transport that carries the caller's W3C trace context on every request.

A tracing proxy in front of Elasticsearch, or an Elasticsearch with its own APM tracing on
(8.x), joins the query's trace; Elasticsearch 7 ignores the header. This module only adds
headers: requests, retries and errors are the client's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from elasticsearch import AsyncTransport

from heroic_core.backends.tracecontext import trace_headers


class TraceContextTransport(AsyncTransport):
    """``AsyncTransport`` adding ``traceparent``/``tracestate`` of the current span."""

    async def perform_request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        context = trace_headers()
        if context:
            headers = {**context, **(headers or {})}
        return await super().perform_request(method, url, headers=headers, params=params, body=body)
