"""A query's spans, and the response's ``trace`` tree grown from the very same spans.

``query_span`` opens a query's root span; ``child_span`` opens a span under the current one
anywhere below it (services, fetches) without passing a tracer around. When the request asks
for a trace, every span opened this way also becomes a node of the response's tree, named as
the span (with ``[key]`` where upstream's trace names a shard or backend) and, when the span is
recorded, timed by the span's own start and end. With tracing off the tracer is a no-op one,
not even called, and only the tree costs anything. Nothing here exports spans or reads
configuration.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import INVALID_SPAN, NoOpTracer, Span, Tracer
from opentelemetry.util.types import AttributeValue

from heroic_api.services.trace import Trace

Attributes = Mapping[str, AttributeValue]


@dataclass(frozen=True, slots=True)
class _Scope:
    tracer: Tracer
    node: Trace | None  # None: the response wants no tree


_SCOPE: ContextVar[_Scope | None] = ContextVar("heroic_query_scope", default=None)


@contextmanager
def query_span(
    tracer: Tracer, name: str, *, tree: bool, attributes: Attributes | None = None
) -> Iterator[Trace | None]:
    """Open a query's root span; yields the response's tree (``None`` unless ``tree``), which
    is complete when the block ends."""
    node = Trace(name) if tree else None
    with _opened(tracer, name, node, attributes):
        yield node


@contextmanager
def current_span(tracer: Tracer, name: str) -> Iterator[None]:
    """``tracer``'s span ``name``, current for the block; with tracing off, nothing at all."""
    if isinstance(tracer, NoOpTracer):
        yield
        return
    with tracer.start_as_current_span(name):
        yield


@contextmanager
def child_span(
    name: str, *, key: str | None = None, attributes: Attributes | None = None
) -> Iterator[Span]:
    """Open ``name`` under the current query span; outside a query nothing is opened.

    ``key`` tells same-named siblings apart in the response's tree (the shard, the backend);
    the span carries it as an attribute instead, keeping span names few."""
    scope = _SCOPE.get()
    if scope is None:
        yield INVALID_SPAN
        return
    node = None
    if scope.node is not None:
        node = scope.node.child(name if key is None else f"{name}[{key}]")
    with _opened(scope.tracer, name, node, attributes) as span:
        yield span


@contextmanager
def _opened(
    tracer: Tracer, name: str, node: Trace | None, attributes: Attributes | None
) -> Iterator[Span]:
    token = _SCOPE.set(_Scope(tracer, node))
    span: Span = INVALID_SPAN
    try:
        if isinstance(tracer, NoOpTracer):  # tracing off: not even a span made current
            yield span
        else:
            with tracer.start_as_current_span(name, attributes=attributes) as span:
                yield span
    finally:
        _SCOPE.reset(token)
        if node is not None:
            node.end(_span_elapsed_ns(span))


def _span_elapsed_ns(span: Span) -> int | None:
    """The recorded span's own duration; ``None`` for a span that records nothing."""
    if isinstance(span, ReadableSpan) and span.start_time and span.end_time:
        return span.end_time - span.start_time
    return None
