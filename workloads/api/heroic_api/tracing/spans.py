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
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from types import TracebackType

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


def query_span(
    tracer: Tracer, name: str, *, tree: bool, attributes: Attributes | None = None
) -> AbstractContextManager[Trace | None]:
    """Open a query's root span; yields the response's tree (``None`` unless ``tree``), which
    is complete when the block ends."""
    return _QuerySpan(_Opened(tracer, name, Trace(name) if tree else None, attributes))


@contextmanager
def current_span(tracer: Tracer, name: str) -> Iterator[None]:
    """``tracer``'s span ``name``, current for the block; with tracing off, nothing at all."""
    if isinstance(tracer, NoOpTracer):
        yield
        return
    with tracer.start_as_current_span(name):
        yield


def child_span(
    name: str, *, key: str | None = None, attributes: Attributes | None = None
) -> AbstractContextManager[Span]:
    """Open ``name`` under the current query span; outside a query nothing is opened.

    ``key`` tells same-named siblings apart in the response's tree (the shard, the backend);
    the span carries it as an attribute instead, keeping span names few."""
    scope = _SCOPE.get()
    if scope is None:
        return nullcontext(INVALID_SPAN)
    node = None
    if scope.node is not None:
        node = scope.node.child(name if key is None else f"{name}[{key}]")
    return _Opened(scope.tracer, name, node, attributes)


class _Opened:
    """A span of ``tracer`` (none while tracing is off), current for the block, and its node
    of the response's tree; a class rather than a generator: a query opens some ten of them,
    and a generator's context manager cost several times as much."""

    __slots__ = ("_recording", "_span", "_token", "attributes", "name", "node", "tracer")

    def __init__(
        self, tracer: Tracer, name: str, node: Trace | None, attributes: Attributes | None
    ) -> None:
        self.tracer, self.name, self.node, self.attributes = tracer, name, node, attributes
        self._recording: AbstractContextManager[Span] | None = None
        self._span: Span = INVALID_SPAN

    def __enter__(self) -> Span:
        self._token = _SCOPE.set(_Scope(self.tracer, self.node))
        if isinstance(self.tracer, NoOpTracer):  # tracing off: not even a span made current
            return self._span
        try:
            self._recording = self.tracer.start_as_current_span(
                self.name, attributes=self.attributes
            )
            self._span = self._recording.__enter__()
        except BaseException:
            self._ended()
            raise
        return self._span

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self._recording is not None:
                self._recording.__exit__(kind, error, trace)
        finally:
            self._ended()

    def _ended(self) -> None:
        _SCOPE.reset(self._token)
        if self.node is not None:
            self.node.end(_span_elapsed_ns(self._span))


class _QuerySpan:
    """``_Opened`` yielding the response's tree instead of the span."""

    __slots__ = ("_opened",)

    def __init__(self, opened: _Opened) -> None:
        self._opened = opened

    def __enter__(self) -> Trace | None:
        self._opened.__enter__()
        return self._opened.node

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._opened.__exit__(kind, error, trace)


def _span_elapsed_ns(span: Span) -> int | None:
    """The recorded span's own duration; ``None`` for a span that records nothing."""
    if isinstance(span, ReadableSpan) and span.start_time and span.end_time:
        return span.end_time - span.start_time
    return None
