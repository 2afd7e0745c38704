"""The query result cache (heroic.yml ``cache``, upstream's ``QueryCache``): which answers may be
kept, under which key, for how long, and where.

An answer is cached as upstream's memcached cache decides: the ``cache_query`` and
``shift_range`` features are on (the range is then aligned to the cadence), the aggregation
samples (cadence > 0), and the answer has no errors. The key is a SHA-256 of everything that
changes the answer: source, filter, the effective range, the resolved aggregation, bucket
strategy, limits, the features in effect, the backend group, this node's shard and, for a
federated answer, the shards it spans. The TTL runs
to the next multiple of the cadence, when the shifted range moves on (capped by ``maxTtl``);
under one second nothing is stored, as upstream. A kept answer says ``cached: true``.

Stores: ``memory`` (here: least recently used out once ``maxBytes`` of encoded answers is
reached; an expired entry is dropped when next read) and ``memcached``
(``services.cache_memcached``). A failing store never fails a query: the answer is computed.
This module must not run queries.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from cachetools import LRUCache
from prometheus_client import CollectorRegistry, Counter, Gauge

from heroic_api.services import features as feat
from heroic_core.config.node import CacheConfig, MemoryCacheConfig, NoopCacheConfig

if TYPE_CHECKING:
    from heroic_api.services.query import Plan
    from heroic_api.services.query_request import MetricsQuery

logger = logging.getLogger(__name__)

KEY_PREFIX = "heroic/query/"
#: The fields of a response that are kept; the rest (id, trace, cache info) is per request.
KEPT_FIELDS = (
    "range",
    "limits",
    "commonTags",
    "commonResource",
    "result",
    "preAggregationSampleSize",
)
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY
#: Bytes an entry costs besides its encoded answer (key, entry object, LRU links), roughly.
ENTRY_OVERHEAD = 256


class ResultStore(Protocol):
    """Where encoded answers are kept; ``now`` and ``ttl_ms`` are milliseconds."""

    async def get(self, key: str, now: int) -> bytes | None: ...

    async def set(self, key: str, value: bytes, now: int, ttl_ms: int) -> None: ...

    async def close(self) -> None: ...


class CacheMetrics:
    """Hits, misses, evictions and store errors of the result cache."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.hits = Counter(
            "heroic_query_cache_hits", "Queries answered from the result cache.", registry=registry
        )
        self.misses = Counter(
            "heroic_query_cache_misses",
            "Cacheable queries whose answer was not in the result cache.",
            registry=registry,
        )
        self.evictions = Counter(
            "heroic_query_cache_evictions",
            "Answers dropped from the memory cache: size (least recently used, to stay under "
            "maxBytes) or expired (TTL over when read).",
            ("reason",),
            registry=registry,
        )
        self.errors = Counter(
            "heroic_query_cache_errors",
            "Cache store operations that failed (the query was computed instead).",
            ("operation",),
            registry=registry,
        )
        self.entries = Gauge(
            "heroic_query_cache_entries", "Answers in the memory cache.", registry=registry
        )
        self.bytes = Gauge(
            "heroic_query_cache_bytes",
            "Bytes the memory cache holds (encoded answers and per-entry overhead).",
            registry=registry,
        )
        for reason in ("size", "expired"):
            self.evictions.labels(reason)
        for operation in ("get", "set"):
            self.errors.labels(operation)


@dataclass(frozen=True, slots=True)
class _Entry:
    data: bytes
    expires: int


def _entry_size(entry: _Entry) -> int:
    return len(entry.data) + ENTRY_OVERHEAD


class _CountingLRU(LRUCache[str, _Entry]):
    """An LRU bounded by bytes that reports each entry it pushes out to make room."""

    def __init__(self, max_bytes: int, evicted: Callable[[], None]) -> None:
        super().__init__(max_bytes, getsizeof=_entry_size)
        self._evicted = evicted

    def popitem(self) -> tuple[str, _Entry]:
        item = super().popitem()
        self._evicted()
        return item


class MemoryResultStore:
    """Answers in this process, at most ``max_bytes`` of them (LRU)."""

    def __init__(self, max_bytes: int, metrics: CacheMetrics) -> None:
        self._metrics = metrics
        self._lru = _CountingLRU(max_bytes, metrics.evictions.labels("size").inc)
        metrics.entries.set_function(lambda: len(self._lru))
        metrics.bytes.set_function(lambda: self._lru.currsize)

    async def get(self, key: str, now: int) -> bytes | None:
        entry = self._lru.get(key)
        if entry is None:
            return None
        if now >= entry.expires:
            del self._lru[key]
            self._metrics.evictions.labels("expired").inc()
            return None
        return entry.data

    async def set(self, key: str, value: bytes, now: int, ttl_ms: int) -> None:
        entry = _Entry(value, now + ttl_ms)
        if _entry_size(entry) > self._lru.maxsize:
            logger.info(
                "Did not cache an answer larger than the whole cache",
                extra={"cache_key": key, "bytes": len(value), "max_bytes": self._lru.maxsize},
            )
            return
        self._lru[key] = entry

    async def close(self) -> None:
        self._lru.clear()


@dataclass(frozen=True, slots=True)
class CacheTicket:
    """Where a cacheable query's answer is kept, and for how long (ms)."""

    key: str
    ttl_ms: int

    def info(self, cached: bool) -> dict[str, Any]:
        """Upstream's ``CacheInfo``: ``ttl`` in whole seconds."""
        return {"cached": cached, "ttl": self.ttl_ms // 1000, "cacheKey": self.key}


def answer_key(
    plan: Plan,
    query: MetricsQuery,
    group: str | None,
    shard: dict[str, str],
    federation: list[dict[str, str]] | None = None,
) -> str:
    """The key of an answer: a hash of everything that changes it. ``federation``: the shards
    a federated answer spans (``None`` for this node's own shard): on a federating node the
    answer to a client and the answer to a peer asking for this shard alone must not share
    a key."""
    identity: dict[str, Any] = {
        "source": plan.source.value,
        "filter": query.filter.to_json(),
        "range": plan.range.to_json(),
        "aggregation": plan.aggregation.to_json(),
        "bucketStrategy": plan.strategy,
        "limits": [
            plan.series_limit,
            plan.group_limit,
            plan.data_limit,
            plan.aggregation_limit,
            plan.fail_on_limits,
        ],
        "features": sorted(plan.features.enabled),
        "group": group,
        "shard": shard,
    }
    if federation is not None:
        identity["federation"] = sorted(sorted(tags.items()) for tags in federation)
    digest = hashlib.sha256(orjson.dumps(identity, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return KEY_PREFIX + digest


def ttl_millis(cadence: int, now: int, max_ttl_ms: int | None) -> int:
    """Upstream's TTL: the time to the next multiple of ``cadence``, at most ``max_ttl_ms``."""
    ttl = cadence - now % cadence
    return ttl if max_ttl_ms is None else min(ttl, max_ttl_ms)


class QueryCache:
    """The cache the query engine asks; without a store every query is computed."""

    def __init__(
        self,
        store: ResultStore | None = None,
        max_ttl_ms: int | None = None,
        metrics: CacheMetrics | None = None,
    ) -> None:
        self.store = store
        self.max_ttl_ms = max_ttl_ms
        self.metrics = metrics

    def ticket(
        self,
        plan: Plan,
        query: MetricsQuery,
        group: str | None,
        shard: dict[str, str],
        now: int,
        *,
        federation: list[dict[str, str]] | None = None,
    ) -> CacheTicket | None:
        """Where this query's answer is kept, or ``None`` when it must not be cached
        (``federation``: see ``answer_key``)."""
        if self.store is None or plan.cadence <= 0:
            return None
        if not (plan.features.has(feat.CACHE_QUERY) and plan.features.has(feat.SHIFT_RANGE)):
            return None
        ttl = ttl_millis(plan.cadence, now, self.max_ttl_ms)
        return CacheTicket(answer_key(plan, query, group, shard, federation), ttl)

    async def get(self, ticket: CacheTicket | None, now: int) -> dict[str, Any] | None:
        """The kept fields of the answer, or ``None`` on a miss (or a failing store)."""
        if ticket is None or self.store is None:
            return None
        try:
            data = await self.store.get(ticket.key, now)
            kept: dict[str, Any] | None = None if data is None else orjson.loads(data)
        except Exception:  # noqa: BLE001 - whatever the store raises, the query goes on uncached
            self._failed("get", ticket)
            kept = None
        if self.metrics is not None:
            (self.metrics.misses if kept is None else self.metrics.hits).inc()
        return kept

    async def put(self, ticket: CacheTicket | None, answer: dict[str, Any], now: int) -> None:
        """Keep ``answer`` unless it has errors or less than a second to live."""
        if ticket is None or self.store is None or answer["errors"] or ticket.ttl_ms < 1000:
            return
        data = orjson.dumps({f: answer[f] for f in KEPT_FIELDS}, option=_JSON_OPTIONS)
        try:
            await self.store.set(ticket.key, data, now, ticket.ttl_ms)
        except Exception:  # noqa: BLE001 - whatever the store raises, the query goes on uncached
            self._failed("set", ticket)

    def _failed(self, operation: str, ticket: CacheTicket) -> None:
        logger.warning(
            "Query cache %s failed; answering without the cache",
            operation,
            extra={"cache_key": ticket.key},
            exc_info=True,
        )
        if self.metrics is not None:
            self.metrics.errors.labels(operation).inc()

    async def close(self) -> None:
        if self.store is not None:
            await self.store.close()


def answer_from_cache(
    kept: dict[str, Any], ticket: CacheTicket, trace: dict[str, Any] | None
) -> dict[str, Any]:
    """A ``QueryMetricsResponse`` (a new ``queryId``) from kept fields, in the engine's order."""
    return {
        "queryId": str(uuid.uuid4()),
        "range": kept["range"],
        "trace": trace,
        "limits": kept["limits"],
        "cached": True,
        "cache": ticket.info(cached=True),
        "commonTags": kept["commonTags"],
        "commonResource": kept["commonResource"],
        "result": kept["result"],
        "preAggregationSampleSize": kept["preAggregationSampleSize"],
        "errors": [],
    }


def build_query_cache(config: CacheConfig, registry: CollectorRegistry) -> QueryCache:
    """The cache that ``config`` (heroic.yml ``cache``) describes; opens no connection yet."""
    if isinstance(config, NoopCacheConfig):
        return QueryCache()
    metrics = CacheMetrics(registry)
    max_ttl = None if config.max_ttl is None else config.max_ttl.millis
    store: ResultStore
    if isinstance(config, MemoryCacheConfig):
        store = MemoryResultStore(int(config.max_bytes), metrics)
    else:
        from heroic_api.services.cache_memcached import MemcachedResultStore  # noqa: PLC0415

        store = MemcachedResultStore(config.addresses)
    return QueryCache(store, max_ttl, metrics)
