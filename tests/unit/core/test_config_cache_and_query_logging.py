"""heroic.yml ``cache`` and ``queryLogging``: upstream's keys and defaults, our ``maxBytes``,
and clear errors naming the key for bad values."""

from __future__ import annotations

import pytest

from heroic_core.config import ConfigError, Duration, HeroicConfig
from heroic_core.config.node import (
    DEFAULT_MEMORY_CACHE_BYTES,
    MemcachedCacheConfig,
    MemoryCacheConfig,
    NoopCacheConfig,
    QueryLoggingConfig,
)


def test_cache_and_query_logging_are_off_by_default() -> None:
    config = HeroicConfig.from_yaml("port: 8080")
    assert config.cache == NoopCacheConfig()
    assert config.query_logging is None


def test_memory_cache_defaults_and_sizes() -> None:
    assert HeroicConfig.from_yaml("cache: {type: memory}").cache == MemoryCacheConfig(
        type="memory", max_bytes=DEFAULT_MEMORY_CACHE_BYTES
    )
    cache = HeroicConfig.from_yaml("cache: {type: memory, maxBytes: 16MiB, maxTtl: 5m}").cache
    assert cache == MemoryCacheConfig(
        type="memory", max_bytes=16 * 1024 * 1024, max_ttl=Duration(5, "m")
    )


def test_memcached_defaults_to_localhost() -> None:
    cache = HeroicConfig.from_yaml("cache: {type: memcached}").cache
    assert isinstance(cache, MemcachedCacheConfig)
    assert cache.addresses == ["localhost:11211"]


def test_query_logging_takes_upstream_defaults_and_any_case_level() -> None:
    config = HeroicConfig.from_yaml("queryLogging: {type: slf4j, level: info}")
    assert config.query_logging == QueryLoggingConfig(
        type="slf4j", name="com.spotify.heroic.query_logging", level="INFO"
    )


def test_sections_round_trip_through_the_wire_form() -> None:
    text = "cache: {type: memory, maxBytes: 1024}\nqueryLogging: {type: slf4j, name: q}\n"
    config = HeroicConfig.from_yaml(text)
    assert HeroicConfig.from_dict(config.to_dict()) == config
    assert config.to_dict()["cache"] == {"type": "memory", "maxBytes": 1024}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "cache: {type: memcached, addresses: [mc:port]}",
            "cache.addresses[0]: 'mc:port' is not host:port",
        ),
        ("cache: {type: memcached, addresses: []}", "cache.addresses"),
        ("cache: {type: memory, maxBytes: 0}", "cache.maxBytes"),
        ("cache: {type: memory, maxBytes: lots}", "cache.maxBytes"),
        ("cache: {type: memory, size: 10}", "cache.size"),
        ("cache: {type: redis}", "cache"),
        ("queryLogging: {type: slf4j, level: LOUD}", "queryLogging.level"),
        ("queryLogging: {type: log4j}", "queryLogging"),
        ("queryLogging: {type: slf4j, format: json}", "queryLogging.format"),
    ],
)
def test_bad_values_name_their_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        HeroicConfig.from_yaml(text)
