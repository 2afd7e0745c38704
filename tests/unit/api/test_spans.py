"""A query's spans (``tracing.spans``): each is current for its block and ends with it, an error
included, and the response's tree grows from the same blocks; outside a query nothing opens."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import INVALID_SPAN, NoOpTracer, StatusCode, get_current_span

from heroic_api.tracing.spans import child_span, query_span


@pytest.fixture
def exported() -> tuple[TracerProvider, InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


def test_spans_nest_and_end_with_their_blocks(
    exported: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = exported
    tracer = provider.get_tracer("test")
    with query_span(tracer, "query", tree=True) as tree:
        with child_span("fetch", key="memory") as span:
            assert get_current_span() is span
        assert tree is not None
    assert [s.name for s in exporter.get_finished_spans()] == ["fetch", "query"]
    fetch, query = exporter.get_finished_spans()
    assert fetch.parent is not None
    assert fetch.parent.span_id == query.context.span_id
    assert tree.to_json()["children"][0]["what"] == {"name": "fetch[memory]"}


def test_an_error_in_a_block_ends_its_span_as_failed_and_leaves_the_query(
    exported: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, exporter = exported
    tracer = provider.get_tracer("test")
    with query_span(tracer, "query", tree=True) as tree:
        with pytest.raises(ValueError, match="boom"), child_span("aggregate"):
            raise ValueError("boom")
        with child_span("after") as after:
            assert after.is_recording()
    failed = next(s for s in exporter.get_finished_spans() if s.name == "aggregate")
    assert failed.status.status_code is StatusCode.ERROR
    assert tree is not None
    assert [c["what"]["name"] for c in tree.to_json()["children"]] == ["aggregate", "after"]
    assert all(c.elapsed_ns is not None for c in tree.children)


def test_with_tracing_off_the_tree_still_grows() -> None:
    with query_span(NoOpTracer(), "query", tree=True) as tree, child_span("fetch") as span:
        assert span is INVALID_SPAN
    assert tree is not None
    assert tree.to_json()["children"][0]["what"] == {"name": "fetch"}


def test_outside_a_query_nothing_is_opened() -> None:
    with child_span("stray") as span:
        assert span is INVALID_SPAN
