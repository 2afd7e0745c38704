"""The ``tracing`` section of heroic.yml: OpenTelemetry in place of upstream's OpenCensus.

Upstream's keys are kept where they mean the same under OpenTelemetry (``probability``,
``requestHeadersToTags``, ``tags``); ``otlp.endpoint`` is new. Upstream's OpenCensus- and
Lightstep-only keys (``lightstep``, ``squash``, a non-zero ``zpagesPort``) are refused with the
way to get the same under OpenTelemetry, never silently accepted. Describes configuration
only: nothing here starts a tracer or reads the environment.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from heroic_core.config.common import ConfigModel

#: Upstream's default: one trace in a hundred.
DEFAULT_PROBABILITY = 0.01

_LIGHTSTEP = (
    "Lightstep export (OpenCensus) is not supported: tracing exports OTLP, which Lightstep "
    "ingests; set tracing.otlp.endpoint to the collector or satellite's OTLP/HTTP address and "
    "the access token in OTEL_EXPORTER_OTLP_HEADERS=lightstep-access-token=<token>"
)
_SQUASH = (
    "span squashing (the OpenCensus squashing exporter) is not supported: remove tracing.squash "
    "and lower tracing.probability, or filter spans in an OpenTelemetry collector"
)
_ZPAGES = (
    "zPages are not available with OpenTelemetry in Python: remove tracing.zpagesPort (0 "
    "means off) and view traces in the backend that tracing.otlp.endpoint exports to"
)


class OtlpExportConfig(ConfigModel):
    """Where spans go over OTLP/HTTP (protobuf)."""

    #: Base URL of an OTLP/HTTP receiver, as ``OTEL_EXPORTER_OTLP_ENDPOINT``: spans are posted
    #: to ``<endpoint>/v1/traces``. Unset: the OpenTelemetry environment variables decide.
    endpoint: str | None = None

    @field_validator("endpoint")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"endpoint {value!r} must be an http:// or https:// URL with a host, "
                "e.g. http://otel-collector:4318"
            )
        return value


class TracingConfig(ConfigModel):
    """``tracing:`` — present means on (off when absent, unlike upstream)."""

    #: Share of the traces started here that are sampled and exported; a caller's sampled
    #: ``traceparent`` is always continued.
    probability: float = Field(default=DEFAULT_PROBABILITY, ge=0.0, le=1.0)
    #: Request headers copied onto the request span as ``http.request.header.<name>``.
    request_headers_to_tags: list[str] = Field(default_factory=list)
    #: Attributes put on every request span (upstream: on every incoming request).
    tags: dict[str, str | int | bool] = Field(default_factory=dict)
    otlp: OtlpExportConfig = Field(default_factory=OtlpExportConfig)
    #: Upstream's zPages port; only 0 (off) is accepted.
    zpages_port: int = 0
    #: Upstream's Lightstep exporter; refused.
    lightstep: dict[str, Any] | None = None
    #: Upstream's span squashing; refused.
    squash: dict[str, Any] | None = None

    @field_validator("zpages_port")
    @classmethod
    def _no_zpages(cls, value: int) -> int:
        if value != 0:
            raise ValueError(_ZPAGES)
        return value

    @field_validator("lightstep", mode="before")
    @classmethod
    def _no_lightstep(cls, value: object) -> None:
        if value is not None:
            raise ValueError(_LIGHTSTEP)

    @field_validator("squash", mode="before")
    @classmethod
    def _no_squash(cls, value: object) -> None:
        if value is not None:
            raise ValueError(_SQUASH)

    @field_validator("request_headers_to_tags")
    @classmethod
    def _header_names(cls, values: list[str]) -> list[str]:
        for name in values:
            if not name or any(c.isspace() or c == ":" for c in name):
                raise ValueError(f"{name!r} is not an HTTP header name")
        return values
