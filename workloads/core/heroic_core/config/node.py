"""Node-wide sections of heroic.yml: features, conditional features, ingestion, cache, query
logging and the shell server (reference 10, 12). Describes configuration only."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, ByteSize, Field

from heroic_core.config.common import ConfigModel, Duration

#: Feature ids upstream knows (reference 12); ``-<id>`` disables one.
KNOWN_FEATURES = frozenset(
    {
        "com.spotify.heroic.deterministic_aggregations",
        "com.spotify.heroic.distributed_aggregations",
        "com.spotify.heroic.shift_range",
        "com.spotify.heroic.sliced_data_fetch",
        "com.spotify.heroic.end_bucket_stategy",
        "com.spotify.heroic.cache_query",
        "com.spotify.heroic.metadata.live_cursor",
    }
)


def _known_features(values: list[str]) -> list[str]:
    for value in values:
        if value.removeprefix("-") not in KNOWN_FEATURES:
            raise ValueError(
                f"unknown feature {value!r}; known: {', '.join(sorted(KNOWN_FEATURES))}"
            )
    return values


#: A feature set: feature ids, ``-`` prefixed to disable.
FeatureList = Annotated[list[str], AfterValidator(_known_features)]


# --- request conditions and conditional features ----------------------------------------------


class NoopCondition(ConfigModel):
    type: Literal["noop"]


class ClientIdCondition(ConfigModel):
    """Matches requests whose ``X-Client-Id`` header equals ``clientId``."""

    type: Literal["clientId"]
    client_id: str


class AnyCondition(ConfigModel):
    type: Literal["any"]
    conditions: list[RequestCondition] = Field(default_factory=list)


class AllCondition(ConfigModel):
    type: Literal["all"]
    conditions: list[RequestCondition] = Field(default_factory=list)


RequestCondition = Annotated[
    NoopCondition | ClientIdCondition | AnyCondition | AllCondition,
    Field(discriminator="type"),
]


class MatchConditionalFeatures(ConfigModel):
    """Enable ``features`` for requests matching ``condition``."""

    type: Literal["match"]
    condition: RequestCondition
    features: FeatureList = Field(default_factory=list)


class ListConditionalFeatures(ConfigModel):
    type: Literal["list"]
    list_: list[ConditionalFeatures] = Field(default_factory=list, alias="list")


ConditionalFeatures = Annotated[
    MatchConditionalFeatures | ListConditionalFeatures, Field(discriminator="type")
]

AnyCondition.model_rebuild()
AllCondition.model_rebuild()
ListConditionalFeatures.model_rebuild()


# --- ingestion, cache, shell -----------------------------------------------------------------


class IngestionConfig(ConfigModel):
    """``ingestion:``; ``filter`` is an HQL filter that written series must match."""

    update_metrics: bool = True
    update_metadata: bool = True
    update_suggestions: bool = True
    max_concurrent_writes: int = Field(default=50_000, ge=1)
    filter: str | None = None


class NoopCacheConfig(ConfigModel):
    """``cache: {type: noop}`` (the default): query results are never cached."""

    type: Literal["noop"] = "noop"


DEFAULT_MEMORY_CACHE_BYTES = 64 * 1024 * 1024


class MemoryCacheConfig(ConfigModel):
    """``cache: {type: memory}``: answers kept in this process, least recently used first out
    once ``maxBytes`` (their encoded JSON) is reached; ``maxTtl`` caps upstream's TTL."""

    type: Literal["memory"]
    max_bytes: ByteSize = Field(default=ByteSize(DEFAULT_MEMORY_CACHE_BYTES), gt=0)
    max_ttl: Duration | None = None


def _memcached_address(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = value, "11211"
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{value!r} is not host:port (e.g. memcached:11211)")
    return value


class MemcachedCacheConfig(ConfigModel):
    """``cache: {type: memcached}``: answers shared by every node using ``addresses``."""

    type: Literal["memcached"]
    addresses: list[Annotated[str, AfterValidator(_memcached_address)]] = Field(
        default_factory=lambda: ["localhost:11211"], min_length=1
    )
    max_ttl: Duration | None = None


CacheConfig = Annotated[
    NoopCacheConfig | MemoryCacheConfig | MemcachedCacheConfig, Field(discriminator="type")
]


class QueryLoggingConfig(ConfigModel):
    """``queryLogging: {type: slf4j}``: one JSON line per query to the logger ``name``, at
    ``level`` (slf4j's names; ``TRACE`` is Python's ``DEBUG``)."""

    type: Literal["slf4j"]
    name: str = Field(default="com.spotify.heroic.query_logging", min_length=1)
    level: Annotated[
        Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"],
        BeforeValidator(lambda v: v.upper() if isinstance(v, str) else v),
    ] = "TRACE"


class ShellServerConfig(ConfigModel):
    """``shellServer:``; the shell server runs only when this key is present."""

    host: str = "localhost"
    port: int = Field(default=9190, ge=0, le=65535)
