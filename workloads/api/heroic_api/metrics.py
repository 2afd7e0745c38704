"""Prometheus request counts and latencies by endpoint, and remote write's counters, exposed
on ``GET /metrics``.

Each application gets its own ``CollectorRegistry`` so that several apps (tests) never share
counters. The endpoint label is the matched route template (``/query/metrics``), never the raw
path, so that label cardinality stays bounded; remote write's labels are fixed sets of words.
This module must not touch request bodies.
"""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class RemoteWriteMetrics:
    """What ``POST /api/v1/write`` received and refused."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.received = Counter(
            "heroic_remote_write_received",
            "What remote-write requests that decoded held, by kind: series, sample (stored), "
            "stale_marker (dropped), and exemplar, histogram, metadata (not stored).",
            ("kind",),
            registry=registry,
        )
        self.rejected = Counter(
            "heroic_remote_write_rejected_requests",
            "Remote-write requests answered with an error, by reason.",
            ("reason",),
            registry=registry,
        )


class RequestMetrics:
    """The counters of one application."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "heroic_http_requests",
            "HTTP requests handled, by method, endpoint and status code.",
            ("method", "endpoint", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "heroic_http_request_duration_seconds",
            "Time from request start to the end of the response, by method and endpoint.",
            ("method", "endpoint"),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.remote_write = RemoteWriteMetrics(self.registry)
        # The children of each label set, found once: ``labels()`` takes a lock and checks its
        # values on every call. As many entries as the registry has label sets.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def observe(self, method: str, endpoint: str, status: int, seconds: float) -> None:
        """Record one finished request."""
        key = (method, endpoint, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self.requests.labels(method, endpoint, str(status)),
                self.latency.labels(method, endpoint),
            )
        children[0].inc()
        children[1].observe(seconds)

    def exposition(self) -> Response:
        """The Prometheus text exposition of this registry."""
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def endpoint_label(scope: Scope) -> str:
    """The route template the router matched, or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED


class MetricsMiddleware:
    """Pure ASGI middleware timing every HTTP request (outermost, so it sees every status)."""

    def __init__(self, app: ASGIApp, metrics: RequestMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            self.metrics.observe(scope["method"], endpoint_label(scope), status, elapsed)
