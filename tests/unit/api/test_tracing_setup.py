"""The API node's tracer from the ``tracing`` section: off without it, the OTLP endpoint by
its documented precedence, sampling by ``probability`` and the caller's decision."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import NoOpTracer

from heroic_api.services.status import ServiceInfo
from heroic_api.tracing.setup import build_tracing, traces_endpoint
from heroic_core.config.tracing import OtlpExportConfig, TracingConfig

SERVICE = ServiceInfo("Heroic", "1.2.3", "heroic", "")
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736


def test_no_section_gives_the_no_op_tracer_and_no_provider() -> None:
    tracing = build_tracing(None, SERVICE, "node-1")
    assert isinstance(tracing.tracer, NoOpTracer)
    assert tracing.provider is None
    assert not tracing.enabled
    tracing.flush()  # nothing to flush, and no error


@pytest.mark.parametrize(
    ("configured", "environ", "expected"),
    [
        (
            "http://cfg:4318",
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318"},
            "http://cfg:4318/v1/traces",
        ),
        ("http://cfg:4318/", {}, "http://cfg:4318/v1/traces"),
        (None, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318/"}, "http://env:4318/v1/traces"),
        (
            None,
            {
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces:4318/custom",
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://env:4318",
            },
            "http://traces:4318/custom",
        ),
        (None, {}, "http://localhost:4318/v1/traces"),
    ],
)
def test_endpoint_precedence(
    configured: str | None, environ: dict[str, str], expected: str
) -> None:
    config = TracingConfig(otlp=OtlpExportConfig(endpoint=configured))
    assert traces_endpoint(config, environ) == expected


def _sampled(provider: TracerProvider, trace_id: int) -> bool:
    result = provider.sampler.should_sample(None, trace_id, "span")
    return result.decision is Decision.RECORD_AND_SAMPLE


def test_probability_is_the_share_of_new_traces_sampled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    config = TracingConfig(probability=0.5, otlp=OtlpExportConfig(endpoint="http://127.0.0.1:9"))
    tracing = build_tracing(config, SERVICE, "node-1")
    assert tracing.provider is not None
    ids = range(1, 2**64, 2**64 // 1000)
    share = sum(_sampled(tracing.provider, i) for i in ids) / len(ids)
    assert 0.4 < share < 0.6
    never = build_tracing(config.model_copy(update={"probability": 0.0}), SERVICE, "node-1")
    assert never.provider is not None
    assert not any(_sampled(never.provider, i) for i in ids)


def test_resource_names_the_service_and_node(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    tracing = build_tracing(TracingConfig(), SERVICE, "node-1")
    assert tracing.provider is not None
    attributes = tracing.provider.resource.attributes
    assert attributes["service.name"] == "heroic"
    assert attributes["service.version"] == "1.2.3"
    assert attributes["service.instance.id"] == "node-1"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "heroic-eu")
    renamed = build_tracing(TracingConfig(), SERVICE, "node-1").provider
    assert renamed is not None
    assert renamed.resource.attributes["service.name"] == "heroic-eu"


def test_otel_sdk_disabled_turns_the_tracer_off_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    tracing = build_tracing(TracingConfig(probability=1.0), SERVICE, "node-1")
    assert isinstance(tracing.tracer, NoOpTracer)


_OFF_PROBE = """
import json, sys, threading
from heroic_api.main import create_app
create_app()
print(json.dumps({
    "exporter": sorted(m for m in sys.modules if m.startswith("opentelemetry.exporter")),
    "threads": threading.active_count(),
}))
"""


def test_tracing_off_loads_no_exporter_and_starts_no_thread() -> None:
    # A fresh interpreter: this one has loaded the exporter for the other tests.
    done = subprocess.run(
        [sys.executable, "-c", _OFF_PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout.splitlines()[-1]) == {"exporter": [], "threads": 1}
