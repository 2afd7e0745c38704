"""W3C trace context for the requests backends send, so their servers join the caller's trace.

Reads the current OpenTelemetry context only: it never starts spans or configures a tracer.
With tracing off the current span is invalid and no header is produced.
"""

from __future__ import annotations

from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()


def trace_headers() -> dict[str, str]:
    """``traceparent`` (and ``tracestate``) of the current span; empty without one."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier
