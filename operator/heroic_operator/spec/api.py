"""``spec.api``: the API tier, its Service and the query-serving settings SREs tune (result
cache, query concurrency, query logging, tracing, request bodies, worker processes).

Each setting renders into the API pods' heroic.yml (``desired/api_settings.py``); the same keys
set through ``spec.config`` are refused, so one place says what a cluster does. Pure data.
"""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field, model_validator

from heroic_operator.spec.common import Entry, PodOverrides, SecretKeyRef, SpecModel, Tier
from heroic_operator.spec.markers import Quantity, crd_default, rule, validations

#: heroic.yml's duration text as the workloads parse it (``500ms``, ``30s``, ``5m``, ``1h``).
DURATION = r"^[0-9]+(ms|s|m|h|d)$"

ServiceType = Literal["ClusterIP", "NodePort", "LoadBalancer"]
LogLevel = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]


class ServiceSpec(SpecModel):
    """The API Service"""

    type: ServiceType = "ClusterIP"
    """Service type"""
    port: int = Field(default=8080, ge=1, le=65535)
    """Service port"""
    annotations: dict[str, str] = Field(default_factory=dict)
    """Service annotations"""
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra Service labels"""


MEMCACHED_NEEDS_ADDRESSES = "resultCache.memcachedAddresses is required with type memcached"
ONLY_MEMORY_HAS_SIZE = "resultCache.maxSize applies to type memory only (memcached sizes itself)"
ONLY_MEMCACHED_HAS_ADDRESSES = "resultCache.memcachedAddresses applies to type memcached only"


class ResultCacheSpec(SpecModel):
    """Query result cache (heroic.yml cache): answers of sampled queries kept until their next
    cadence step, as upstream's memcached cache"""

    model_config = ConfigDict(
        json_schema_extra=validations(
            rule(
                "self.type != 'memcached' || (has(self.memcachedAddresses) && "
                "size(self.memcachedAddresses) > 0)",
                MEMCACHED_NEEDS_ADDRESSES,
                field_path=".memcachedAddresses",
                reason="FieldValueRequired",
            ),
            rule(
                "self.type == 'memory' || !has(self.maxSize)",
                ONLY_MEMORY_HAS_SIZE,
                field_path=".maxSize",
                reason="FieldValueForbidden",
            ),
            rule(
                "self.type == 'memcached' || !has(self.memcachedAddresses)",
                ONLY_MEMCACHED_HAS_ADDRESSES,
                field_path=".memcachedAddresses",
                reason="FieldValueForbidden",
            ),
        )
    )

    type: Literal["memory", "memcached"]
    """memory: answers kept in each API process; memcached: shared by every API pod"""
    max_size: Quantity | None = None
    """Memory cache bound per API process, e.g. 256Mi (default 64Mi); least recently used out
    first"""
    max_ttl: str | None = Field(default=None, pattern=DURATION)
    """Longest an answer is kept, e.g. 5m (default: until the query's next cadence step)"""
    memcached_addresses: list[Entry] = Field(default_factory=list, max_length=32)
    """memcached servers, host:port"""
    all_queries: bool = True
    """Cache every cacheable query (the com.spotify.heroic.cache_query feature on); false: only
    queries that ask for it"""

    @model_validator(mode="after")
    def _type_fields(self) -> ResultCacheSpec:
        if self.type == "memcached" and not self.memcached_addresses:
            raise ValueError(MEMCACHED_NEEDS_ADDRESSES)
        if self.type != "memory" and self.max_size is not None:
            raise ValueError(ONLY_MEMORY_HAS_SIZE)
        if self.type != "memcached" and self.memcached_addresses:
            raise ValueError(ONLY_MEMCACHED_HAS_ADDRESSES)
        return self


class QueryConcurrencySpec(SpecModel):
    """Admission of large queries (heroic.yml metrics.concurrentQueriesBackoff,
    smallQueryThreshold, concurrentQueriesWait)"""

    limit: int | None = Field(default=None, ge=1, le=10_000)
    """Large queries computed at once per API process (default: unbounded)"""
    small_query_threshold: int | None = Field(default=None, ge=0)
    """Queries expected to fetch fewer points than this are never queued (default 200000)"""
    wait: str | None = Field(default=None, pattern=DURATION)
    """How long a large query waits for a slot before its 503 with Retry-After (default 5s)"""


class QueryLoggingSpec(SpecModel):
    """One JSON log line per query (heroic.yml queryLogging): client, query, range, duration,
    series and points fetched, errors, cache hit"""

    enabled: bool = False
    """Log every query"""
    level: LogLevel = "INFO"
    """Level of the lines (TRACE is logged as DEBUG)"""


class TracingSpec(SpecModel):
    """OpenTelemetry tracing of queries (heroic.yml tracing), exported over OTLP/HTTP"""

    otlp_endpoint: str = Field(pattern=r"^https?://[^/\s]+(/\S*)?$", max_length=512)
    """OTLP/HTTP receiver, e.g. http://otel-collector:4318 (spans go to <endpoint>/v1/traces)"""
    probability: float = Field(default=0.01, ge=0.0, le=1.0)
    """Share of the traces started here that are sampled (a caller's sampled traceparent is
    always continued)"""
    headers_secret_ref: SecretKeyRef | None = None
    """OTLP request headers (OTEL_EXPORTER_OTLP_HEADERS form: key=value,key=value), e.g. an
    access token"""


class ApiSpec(Tier):
    """The API (query) tier"""

    replicas: int = Field(default=2, ge=0)
    """Pods (ignored while autoscaling is set)"""
    pod_template: PodOverrides = Field(default_factory=PodOverrides)
    """Overrides merged into the API pod template"""
    service: ServiceSpec = Field(default_factory=ServiceSpec)
    workers: int | None = Field(default=None, ge=1, le=64)
    """API processes per pod (default: one per whole CPU of the container's limit, else its
    request; always 1 with memory backends, whose data lives in one process)"""
    result_cache: ResultCacheSpec | None = None
    query_concurrency: QueryConcurrencySpec = Field(
        default_factory=QueryConcurrencySpec, json_schema_extra=crd_default({})
    )
    query_logging: QueryLoggingSpec = Field(
        default_factory=QueryLoggingSpec, json_schema_extra=crd_default({})
    )
    tracing: TracingSpec | None = None
    max_request_body_size: Quantity | None = None
    """Largest request body accepted after gzip decoding, e.g. 64Mi (default 32Mi); 413 beyond"""
