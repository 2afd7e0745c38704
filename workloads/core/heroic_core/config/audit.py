# ruff: noqa: E501 - a table of keys and reasons reads best one entry per line
"""Keys of heroic.yml this implementation accepts (so that upstream files load) but does not
act on: each is named here with the reason, and a node warns about every one a config sets,
with its path, when it starts. ``tests/unit/core/test_config_audit.py`` walks the whole config
model and fails for any key that no code reads and this table does not name."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

_NOT_SERVED = "the node protocol is HTTP here (protocols: [{type: http}]); this one is not served"
_POOLING = (
    "the Python Cassandra driver sizes its own pools; upstream's Java pool options do not map"
)

#: ``<model class>.<field>`` -> why setting it changes nothing.
NO_EFFECT: dict[str, str] = {
    "HeroicConfig.connectors": "upstream's JVM connectors do not exist here; the API listens on host:port",
    "HeroicConfig.start_timeout": "nodes start their backends without an overall deadline",
    "HeroicConfig.usage_tracking": "usage tracking is not implemented",
    "HeroicConfig.sentry_dsn": "errors are not reported to Sentry; they are logged",
    "HeroicConfig.analytics": "the analytics module (series hit counting) is not implemented",
    "HeroicConfig.generator": "the generator module is not implemented; use the shell's load-generated",
    "HeroicConfig.statistics": "statistics are exported as Prometheus metrics on /metrics, not configured here",
    "GrpcProtocolConfig.host": _NOT_SERVED,
    "GrpcProtocolConfig.port": _NOT_SERVED,
    "GrpcProtocolConfig.max_frame_size": _NOT_SERVED,
    "JvmProtocolConfig.bind_name": _NOT_SERVED,
    "BigtableMetricConfig.disable_bulk_mutations": "writes always use MutateRows batches",
    "BigtableMetricConfig.flush_interval_seconds": "writes are sent when a request is complete, not on a timer",
    "BigtableMetricConfig.max_scan_timeout_retries": "the Python client retries scans with its own policy",
    "MetricsConfig.max_scan_timeout_retries": "the Python Bigtable client retries scans with its own policy",
    "DatastaxMetricConfig.retry_policy": "the Python Cassandra driver's default retry policy applies",
    "DatastaxMetricConfig.pooling_options": _POOLING,
    "MemoryMetricConfig.synchronized_storage": "the memory backends are always safe for concurrent use",
    "MemoryMetadataConfig.synchronized_storage": "the memory backends are always safe for concurrent use",
    "TransportClientConfig.cluster_name": "the transport client is served over REST; the cluster name is not checked",
    "TransportClientConfig.node_sampler_interval": "the transport client is served over REST, which has no node sampler",
    "ElasticsearchMetadataConfig.rate_limit_slow_start_seconds": "the write rate limit applies at once, without a slow start",
    "ElasticsearchSuggestConfig.rate_limit_slow_start_seconds": "the write rate limit applies at once, without a slow start",
    "ElasticsearchMetadataConfig.write_cache_concurrency": "the write cache is one dictionary, not upstream's striped Guava cache",
    "ElasticsearchSuggestConfig.write_cache_concurrency": "the write cache is one dictionary, not upstream's striped Guava cache",
    "ElasticsearchMetadataConfig.distributed_cache_srv_record": "there is no distributed write cache (memcached) for indexing",
    "ElasticsearchSuggestConfig.distributed_cache_srv_record": "there is no distributed write cache (memcached) for indexing",
    "ElasticsearchMetadataConfig.backend_type": "kv, the only type, is what the backend does",
    "ElasticsearchSuggestConfig.backend_type": "kv, the only type, is what the backend does",
    "ElasticsearchMetadataConfig.delete_parallelism": "deletes run as one delete-by-query",
    "ElasticsearchMetadataConfig.index_resource_identifiers": "resource identifiers are never indexed",
    "CollectdConsumerConfig.host_pattern": "the collectd consumer is not implemented",
}


def _walk(value: Any, path: str) -> Iterator[tuple[str, BaseModel, str]]:
    if isinstance(value, BaseModel):
        for name in sorted(value.model_fields_set):
            field = type(value).model_fields.get(name)
            if field is None:
                continue
            key = field.alias or name
            where = f"{path}.{key}" if path else key
            yield where, value, name
            yield from _walk(getattr(value, name), where)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def no_effect_warnings(config: BaseModel) -> list[str]:
    """``<path>: <why>`` for every key ``config`` sets that this implementation ignores."""
    out = []
    for path, model, name in _walk(config, ""):
        reason = NO_EFFECT.get(f"{type(model).__name__}.{name}")
        if reason is not None:
            out.append(f"{path} has no effect: {reason}")
    return out


def log_no_effect(config: BaseModel, logger: logging.Logger) -> None:
    """Warn, one line each, about the keys of ``config`` that change nothing here."""
    for warning in no_effect_warnings(config):
        logger.warning("heroic.yml: %s", warning)
