"""The API pods' query-serving settings (``spec.api``) as a part of their heroic.yml.

Result cache, query concurrency, query logging, tracing and the request body bound render into
the keys the API node reads (``cache``, ``metrics.*``, ``queryLogging``, ``tracing``,
``maxRequestBodySize``); the cluster's admission already refused the same keys in
``spec.config``. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from heroic_operator.desired.diff import parse_quantity
from heroic_operator.desired.render import SecretUse, Section
from heroic_operator.errors import InvalidSpec
from heroic_operator.spec import ApiSpec, ResultCacheSpec, TracingSpec

CACHE_QUERY_FEATURE = "com.spotify.heroic.cache_query"
#: What the OpenTelemetry exporter reads its request headers from.
OTLP_HEADERS_ENV = "OTEL_EXPORTER_OTLP_HEADERS"


def api_settings_section(api: ApiSpec, config: Mapping[str, Any]) -> Section:
    """The heroic.yml keys ``api`` sets, over the cluster's ``spec.config`` (``config``)."""
    out: dict[str, Any] = {}
    secrets: tuple[SecretUse, ...] = ()
    if api.result_cache is not None:
        out["cache"] = _cache(api.result_cache)
        if api.result_cache.all_queries:
            out["features"] = _with_feature(config.get("features"), CACHE_QUERY_FEATURE)
    metrics = _query_concurrency(api)
    if metrics:
        out["metrics"] = metrics
    if api.query_logging.enabled:
        out["queryLogging"] = {"type": "slf4j", "level": api.query_logging.level}
    if api.tracing is not None:
        out["tracing"] = _tracing(api.tracing)
        if api.tracing.headers_secret_ref is not None:
            secrets = (SecretUse(api.tracing.headers_secret_ref, env=OTLP_HEADERS_ENV),)
    if api.max_request_body_size is not None:
        out["maxRequestBodySize"] = _bytes("api.maxRequestBodySize", api.max_request_body_size)
    return Section(out, secrets)


def _cache(spec: ResultCacheSpec) -> dict[str, Any]:
    cache: dict[str, Any] = {"type": spec.type}
    if spec.max_size is not None:
        cache["maxBytes"] = _bytes("api.resultCache.maxSize", spec.max_size)
    if spec.max_ttl is not None:
        cache["maxTtl"] = spec.max_ttl
    if spec.memcached_addresses:
        cache["addresses"] = list(spec.memcached_addresses)
    return cache


def _with_feature(features: object, feature: str) -> list[Any]:
    """``features`` of spec.config plus ``feature``, unless it is there (or turned off, ``-``):
    a list in the file replaces spec.config's, so it must carry them all."""
    current = list(features) if isinstance(features, list) else []
    if feature in current or f"-{feature}" in current:
        return current
    return [*current, feature]


def _query_concurrency(api: ApiSpec) -> dict[str, Any]:
    spec = api.query_concurrency
    metrics: dict[str, Any] = {}
    if spec.limit is not None:
        metrics["concurrentQueriesBackoff"] = spec.limit
    if spec.small_query_threshold is not None:
        metrics["smallQueryThreshold"] = spec.small_query_threshold
    if spec.wait is not None:
        metrics["concurrentQueriesWait"] = spec.wait
    return metrics


def _tracing(spec: TracingSpec) -> dict[str, Any]:
    return {"probability": spec.probability, "otlp": {"endpoint": spec.otlp_endpoint}}


def _bytes(field: str, quantity: int | str) -> int:
    amount = parse_quantity(quantity)
    if amount is None or amount < 1 or amount != amount.to_integral_value():
        raise InvalidSpec(f"spec.{field}: {quantity!r} is not a whole number of bytes")
    return int(amount)
