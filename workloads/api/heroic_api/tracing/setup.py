"""Turns the ``tracing`` section into the API node's tracer: OTLP/HTTP export, sampling.

Without the section the tracer is OpenTelemetry's no-op one: no provider, no exporter, no
thread. With it, spans are sampled by ``probability`` (a caller's decision in ``traceparent``
wins) and exported in batches to the first of: ``tracing.otlp.endpoint`` (+ ``/v1/traces``),
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (as is), ``OTEL_EXPORTER_OTLP_ENDPOINT``
(+ ``/v1/traces``), ``http://localhost:4318/v1/traces``. The provider belongs to the app, not
to the process-wide OpenTelemetry global, so that two apps in one process stay apart. This
module must not create spans.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from opentelemetry.sdk.resources import (
    SERVICE_INSTANCE_ID,
    SERVICE_NAME,
    SERVICE_VERSION,
    Resource,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import NoOpTracer, Tracer

from heroic_api.services.status import ServiceInfo
from heroic_core.config.tracing import TracingConfig

logger = logging.getLogger(__name__)

DEFAULT_OTLP_ENDPOINT = "http://localhost:4318"
TRACES_PATH = "/v1/traces"
DEFAULT_SERVICE_NAME = "heroic"
INSTRUMENTATION_NAME = "heroic_api"
#: Seconds the end of the lifespan waits for the last batch of spans to leave.
FLUSH_TIMEOUT_MS = 5_000


@dataclass(frozen=True, slots=True)
class Tracing:
    """The app's tracer; ``provider`` is ``None`` when tracing is off."""

    tracer: Tracer
    provider: TracerProvider | None = None
    config: TracingConfig | None = None
    endpoint: str | None = None

    @classmethod
    def off(cls) -> Tracing:
        return cls(NoOpTracer())

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def flush(self) -> None:
        """Send the spans still buffered (the provider itself shuts down at exit)."""
        if self.provider is not None:
            self.provider.force_flush(FLUSH_TIMEOUT_MS)


def traces_endpoint(config: TracingConfig, environ: Mapping[str, str] = os.environ) -> str:
    """The URL spans are posted to, by the precedence in the module docstring."""
    if config.otlp.endpoint is not None:
        return config.otlp.endpoint.rstrip("/") + TRACES_PATH
    if environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        return environ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
    base = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or DEFAULT_OTLP_ENDPOINT
    return base.rstrip("/") + TRACES_PATH


def build_tracing(config: TracingConfig | None, service: ServiceInfo, node_id: str) -> Tracing:
    """The no-op tracer without ``config``; else a sampling, exporting one."""
    if config is None:
        return Tracing.off()
    # Imported here: with tracing off the exporter (and requests) is never loaded.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
        OTLPSpanExporter,
    )

    endpoint = traces_endpoint(config)
    provider = TracerProvider(
        sampler=ParentBased(TraceIdRatioBased(config.probability)),
        resource=_resource(service, node_id),
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    logger.info(
        "Tracing on: spans sampled at %s exported to %s",
        config.probability,
        endpoint,
        extra={"endpoint": endpoint, "probability": config.probability},
    )
    tracer = provider.get_tracer(INSTRUMENTATION_NAME, service.version)
    return Tracing(tracer, provider, config, endpoint)


def _resource(service: ServiceInfo, node_id: str) -> Resource:
    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are honoured; "heroic" fills in only for
    # the SDK's "unknown_service" placeholder.
    resource = Resource.create({SERVICE_VERSION: service.version, SERVICE_INSTANCE_ID: node_id})
    name = str(resource.attributes.get(SERVICE_NAME, ""))
    if name.startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return resource
