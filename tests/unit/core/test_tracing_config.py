"""The ``tracing`` section: upstream's keys that map are accepted, the rest refused by path."""

from __future__ import annotations

from typing import Any

import pytest

from heroic_core.config import ConfigError, HeroicConfig
from heroic_core.config.tracing import DEFAULT_PROBABILITY


def _problems(tracing: Any) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        HeroicConfig.from_dict({"tracing": tracing})
    return caught.value.problems


def test_tracing_is_absent_by_default() -> None:
    assert HeroicConfig().tracing is None
    assert HeroicConfig.from_yaml("port: 8080").tracing is None


def test_upstream_shape_that_maps_is_accepted() -> None:
    config = HeroicConfig.from_yaml(
        """
tracing:
  probability: 0.25
  zpagesPort: 0
  requestHeadersToTags: [X-Client-Id, X-Dashboard]
  tags: {site: lon, canary: true, shard: 3}
"""
    ).tracing
    assert config is not None
    assert config.probability == 0.25
    assert config.request_headers_to_tags == ["X-Client-Id", "X-Dashboard"]
    assert config.tags == {"site": "lon", "canary": True, "shard": 3}
    assert config.otlp.endpoint is None


def test_empty_section_turns_tracing_on_with_upstreams_probability() -> None:
    config = HeroicConfig.from_yaml("tracing: {}").tracing
    assert config is not None
    assert config.probability == DEFAULT_PROBABILITY == 0.01


def test_otlp_endpoint_round_trips_under_its_camel_case_path() -> None:
    config = HeroicConfig.from_dict({"tracing": {"otlp": {"endpoint": "http://otel:4318"}}})
    assert config.to_dict()["tracing"]["otlp"] == {"endpoint": "http://otel:4318"}
    assert HeroicConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("tracing", "path", "words"),
    [
        ({"lightstep": {"collectorHost": "ls"}}, "tracing.lightstep", "OTEL_EXPORTER_OTLP_HEADERS"),
        ({"squash": {"threshold": 10}}, "tracing.squash", "not supported"),
        ({"zpagesPort": 8888}, "tracing.zpagesPort", "zPages"),
        ({"probability": 1.5}, "tracing.probability", "less than or equal to 1"),
        ({"otlp": {"endpoint": "otel:4318"}}, "tracing.otlp.endpoint", "http:// or https://"),
        ({"otlp": {"endpoint": "http://x", "headers": {}}}, "tracing.otlp.headers", "unknown"),
        ({"requestHeadersToTags": ["bad header"]}, "tracing.requestHeadersToTags", "header"),
        ({"sampler": "always"}, "tracing.sampler", "unknown key"),
    ],
)
def test_what_does_not_map_is_refused_with_its_path(
    tracing: dict[str, Any], path: str, words: str
) -> None:
    problems = _problems(tracing)
    assert [p for p, _ in problems] == [path]
    assert words in problems[0][1]
