"""OpenTelemetry tracing of the API node, seen by a real OTLP/HTTP receiver the tests start.

A query's spans (request, parse, query, shard, metadata lookup, one fetch per metric backend,
aggregation, encode) arrive over OTLP; a caller's ``traceparent`` is continued; the query
response's ``trace`` tree is exactly the exported query spans; tracing stays off (no-op
tracer, nothing sent) without the ``tracing`` section, even with the OTLP variables set; and
the endpoint precedence is ``tracing.otlp.endpoint`` over ``OTEL_EXPORTER_OTLP_ENDPOINT``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.trace import NoOpTracer

from heroic_api.main import create_app
from heroic_api.tracing.middleware import TracingMiddleware
from heroic_core.config import HeroicConfig

from .otlp_receiver import OtlpReceiver, ReceivedSpan, otlp_receiver

CALLER_TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN_ID = "00f067aa0ba902b7"
SPAN_KIND_SERVER = 2  # opentelemetry.proto.trace.v1.Span.SpanKind
QUERY_SPANS = {
    "coreQueryManager.query",
    "coreQueryManager.shard",
    "localMetricsManager.findSeries",
    "localMetricsManager.fetch",
    "localMetricsManager.aggregate",
}
#: The attribute that names a span's ``[key]`` in the response tree.
KEY_ATTRIBUTES = ("heroic.shard", "heroic.backend.id")


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with otlp_receiver() as running:
        yield running


def _config(tracing: dict[str, Any] | None) -> HeroicConfig:
    data: dict[str, Any] = {
        "metrics": {
            "backends": [{"type": "memory", "id": "mem-a"}, {"type": "memory", "id": "mem-b"}]
        },
        "metadata": {"backends": [{"type": "memory"}]},
        "suggest": {"backends": [{"type": "memory"}]},
    }
    if tracing is not None:
        data["tracing"] = tracing
    return HeroicConfig.from_dict(data)


def _run_query(
    config: HeroicConfig, headers: dict[str, str] | None = None, tracing: object = True
) -> dict[str, Any]:
    """Write a point, query it (flushing spans when the app stops) and return the answer."""
    now = int(time.time() * 1000)
    with TestClient(create_app(config)) as client:
        series = {"key": "cpu", "tags": {"host": "a"}}
        write = {"series": series, "data": {"type": "points", "data": [[now - 60_000, 1.0]]}}
        assert client.post("/write", json=write).status_code == 200
        body = {
            "range": {"type": "relative", "unit": "MINUTES", "value": 5},
            "filter": ["key", "cpu"],
            "options": {"tracing": tracing},
        }
        response = client.post(
            "/query/metrics", json=body, headers={"X-Client-Id": "t", **(headers or {})}
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
    return answer


def _has_query(spans: list[ReceivedSpan]) -> bool:
    return any(s.name == "POST /query/metrics" for s in spans) and any(
        s.name == "queryResource.encode" for s in spans
    )


def _children(spans: list[ReceivedSpan], parent: ReceivedSpan) -> list[ReceivedSpan]:
    return [
        s for s in spans if s.parent_span_id == parent.span_id and s.trace_id == parent.trace_id
    ]


def _only(spans: list[ReceivedSpan], name: str) -> ReceivedSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, f"{len(found)} spans named {name}"
    return found[0]


def test_query_spans_reach_the_otlp_receiver_as_one_tree(receiver: OtlpReceiver) -> None:
    _run_query(_config({"probability": 1.0, "otlp": {"endpoint": receiver.url}}))
    spans = receiver.wait_for(_has_query)
    request = _only(spans, "POST /query/metrics")
    assert request.kind == SPAN_KIND_SERVER
    assert request.attributes["http.route"] == "/query/metrics"
    assert request.attributes["http.response.status_code"] == 200
    assert [s.name for s in _children(spans, request)] == [
        "queryResource.parse",
        "coreQueryManager.query",
        "queryResource.encode",
    ]
    query = _only(spans, "coreQueryManager.query")
    (shard,) = _children(spans, query)
    assert shard.name == "coreQueryManager.shard"
    steps = _children(spans, shard)
    assert [s.name for s in steps] == [
        "localMetricsManager.findSeries",
        "localMetricsManager.fetch",
        "localMetricsManager.fetch",
        "localMetricsManager.aggregate",
    ]
    assert {s.attributes["heroic.backend.id"] for s in steps[1:3]} == {"mem-a", "mem-b"}
    assert steps[0].attributes["heroic.series"] == 1
    assert request.resource["service.name"] == "heroic"
    assert receiver.paths
    assert set(receiver.paths) == {"/v1/traces"}


def test_caller_traceparent_is_continued_even_at_probability_zero(receiver: OtlpReceiver) -> None:
    traceparent = f"00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01"
    config = _config({"probability": 0.0, "otlp": {"endpoint": receiver.url}})
    _run_query(config, headers={"traceparent": traceparent})
    spans = receiver.wait_for(_has_query)
    assert {s.trace_id for s in spans if s.name != "POST /write"} == {CALLER_TRACE_ID}
    assert _only(spans, "POST /query/metrics").parent_span_id == CALLER_SPAN_ID
    assert {s.name for s in spans} >= QUERY_SPANS


def test_unsampled_requests_export_nothing_at_probability_zero(receiver: OtlpReceiver) -> None:
    answer = _run_query(_config({"probability": 0.0, "otlp": {"endpoint": receiver.url}}))
    assert answer["trace"]["what"]["name"] == "coreQueryManager.query"  # the tree still answers
    time.sleep(0.3)
    assert receiver.spans == []


def _tree_of(spans: list[ReceivedSpan], span: ReceivedSpan) -> dict[str, Any]:
    """The response-tree rendering of an exported span and its descendants."""
    keys = [span.attributes[a] for a in KEY_ATTRIBUTES if a in span.attributes]
    name = f"{span.name}[{keys[0]}]" if keys else span.name
    children = sorted(
        (_tree_of(spans, c) for c in _children(spans, span)), key=lambda t: t["what"]["name"]
    )
    return {
        "what": {"name": name},
        "elapsed": (span.end_ns - span.start_ns) // 1000,
        "children": children,
    }


def _sorted_tree(tree: dict[str, Any]) -> dict[str, Any]:
    children = sorted((_sorted_tree(c) for c in tree["children"]), key=lambda t: t["what"]["name"])
    return {**tree, "children": children}


def test_response_trace_is_the_tree_of_the_exported_query_spans(receiver: OtlpReceiver) -> None:
    answer = _run_query(_config({"probability": 1.0, "otlp": {"endpoint": receiver.url}}))
    spans = receiver.wait_for(_has_query)
    exported = _tree_of(spans, _only(spans, "coreQueryManager.query"))
    assert _sorted_tree(answer["trace"]) == exported
    shard = exported["children"][0]
    assert shard["what"]["name"] == "coreQueryManager.shard[{}]"
    assert [c["what"]["name"] for c in shard["children"]] == [
        "localMetricsManager.aggregate",
        "localMetricsManager.fetch[mem-a]",
        "localMetricsManager.fetch[mem-b]",
        "localMetricsManager.findSeries",
    ]


def test_response_tree_without_tracing_has_the_same_shape() -> None:
    answer = _run_query(_config(None))
    tree = answer["trace"]
    assert tree["what"]["name"] == "coreQueryManager.query"
    (shard,) = tree["children"]
    assert [c["what"]["name"] for c in shard["children"]] == [
        "localMetricsManager.findSeries",
        "localMetricsManager.fetch[mem-a]",
        "localMetricsManager.fetch[mem-b]",
        "localMetricsManager.aggregate",
    ]
    assert tree["elapsed"] >= shard["elapsed"] >= max(c["elapsed"] for c in shard["children"])
    assert _run_query(_config(None), tracing="NONE")["trace"] is None


def test_request_span_carries_upstream_tags_and_listed_headers(receiver: OtlpReceiver) -> None:
    tracing = {
        "probability": 1.0,
        "otlp": {"endpoint": receiver.url},
        "tags": {"site": "lon", "canary": True},
        "requestHeadersToTags": ["X-Dashboard"],
    }
    _run_query(_config(tracing), headers={"X-Dashboard": "cpu-board", "X-Other": "no"})
    request = _only(receiver.wait_for(_has_query), "POST /query/metrics")
    assert request.attributes["site"] == "lon"
    assert request.attributes["canary"] is True
    assert request.attributes["http.request.header.x-dashboard"] == ["cpu-board"]
    assert not any("x-other" in name for name in request.attributes)


def test_tracing_is_off_without_the_section_even_with_otlp_variables(
    receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    app = create_app(_config(None))
    context = app.state.heroic
    assert isinstance(context.tracing.tracer, NoOpTracer)
    assert context.tracing.provider is None
    installed: list[object] = [m.cls for m in app.user_middleware]
    assert TracingMiddleware not in installed
    _run_query(_config(None), headers={"traceparent": f"00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01"})
    time.sleep(0.3)
    assert receiver.spans == []


def test_otlp_endpoint_variable_is_used_when_the_section_names_none(
    receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
    _run_query(_config({"probability": 1.0}))
    assert {s.name for s in receiver.wait_for(_has_query)} >= QUERY_SPANS


def test_otlp_headers_variable_is_sent_with_every_export(
    receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the operator sets from spec.api.tracing.headersSecretRef
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "authorization=Bearer s3cret,x-tenant=ops")
    _run_query(_config({"probability": 1.0, "otlp": {"endpoint": receiver.url}}))
    receiver.wait_for(_has_query)
    assert receiver.headers
    for headers in receiver.headers:
        assert headers["authorization"] == "Bearer s3cret"
        assert headers["x-tenant"] == "ops"


def test_config_endpoint_wins_over_the_variable(
    receiver: OtlpReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    with otlp_receiver() as other:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", other.url)
        _run_query(_config({"probability": 1.0, "otlp": {"endpoint": receiver.url}}))
        receiver.wait_for(_has_query)
        assert other.spans == []
