"""``spec.api``'s query-serving settings: what each renders into the API pods' heroic.yml, and
what admission refuses (a setting both here and in spec.config, more workers than memory
backends allow). The rendered file is loaded by the workloads' own model in every case."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from heroic_core.config import HeroicConfig
from heroic_operator.desired.builders.workloads import build_deployment, workload_command
from heroic_operator.desired.components import Component, components
from heroic_operator.desired.render import to_text
from heroic_operator.errors import InvalidSpec
from heroic_operator.spec import Cluster, parse_cluster

CACHE_QUERY = "com.spotify.heroic.cache_query"


@pytest.fixture
def api_with(manifest: Callable[[str], dict[str, Any]]) -> Callable[..., Component]:
    """The API component of the ``full`` manifest (Bigtable and Elasticsearch) with ``api``
    fields and ``config`` added."""

    def build(config: dict[str, Any] | None = None, **api: Any) -> Component:
        body = manifest("full")
        body["spec"]["api"].update(api)
        if config is not None:
            body["spec"]["config"] = config
        (component,) = (c for c in components(parse_cluster(body)) if c.group is None)
        return component

    return build


def _file(component: Component) -> dict[str, Any]:
    loaded = HeroicConfig.from_yaml(component.rendered.text)
    assert to_text(loaded) == component.rendered.text  # the text says all the model does
    data: dict[str, Any] = yaml.safe_load(component.rendered.text)
    return data


def test_nothing_set_renders_none_of_the_keys(api_with: Callable[..., Component]) -> None:
    data = _file(api_with())
    assert data["cache"] == {"type": "noop"}
    assert "queryLogging" not in data
    assert "tracing" not in data
    assert "concurrentQueriesBackoff" not in data["metrics"]
    assert CACHE_QUERY not in data.get("features", [])


def test_memory_result_cache_is_sized_in_bytes_and_turns_caching_on(
    api_with: Callable[..., Component],
) -> None:
    component = api_with(
        resultCache={"type": "memory", "maxSize": "128Mi", "maxTtl": "5m"},
        config={"features": ["com.spotify.heroic.shift_range"]},
    )
    data = _file(component)
    assert data["cache"] == {"type": "memory", "maxBytes": 128 * 1024**2, "maxTtl": "5m"}
    # spec.config's features are kept: the list in the file replaces theirs
    assert data["features"] == ["com.spotify.heroic.shift_range", CACHE_QUERY]


def test_memcached_cache_names_its_servers_and_opt_in_leaves_the_feature_off(
    api_with: Callable[..., Component],
) -> None:
    data = _file(
        api_with(
            resultCache={
                "type": "memcached",
                "memcachedAddresses": ["memcached-0:11211", "memcached-1:11211"],
                "allQueries": False,
            }
        )
    )
    assert data["cache"]["type"] == "memcached"
    assert data["cache"]["addresses"] == ["memcached-0:11211", "memcached-1:11211"]
    assert CACHE_QUERY not in data.get("features", [])


def test_a_feature_turned_off_in_spec_config_stays_off(api_with: Callable[..., Component]) -> None:
    data = _file(api_with(resultCache={"type": "memory"}, config={"features": [f"-{CACHE_QUERY}"]}))
    assert data["features"] == [f"-{CACHE_QUERY}"]


def test_query_concurrency_sits_beside_the_metric_backends(
    api_with: Callable[..., Component],
) -> None:
    data = _file(
        api_with(
            queryConcurrency={"limit": 8, "smallQueryThreshold": 1000, "wait": "2s"},
            config={"metrics": {"groupLimit": 100}},
        )
    )
    metrics = data["metrics"]
    assert metrics["backends"][0]["type"] == "bigtable"
    assert metrics["groupLimit"] == 100
    assert (metrics["concurrentQueriesBackoff"], metrics["smallQueryThreshold"]) == (8, 1000)
    assert metrics["concurrentQueriesWait"] == "2s"


def test_query_logging_and_request_body_bound(api_with: Callable[..., Component]) -> None:
    data = _file(
        api_with(queryLogging={"enabled": True, "level": "DEBUG"}, maxRequestBodySize="64Mi")
    )
    assert data["queryLogging"]["type"] == "slf4j"
    assert data["queryLogging"]["level"] == "DEBUG"
    assert data["maxRequestBodySize"] == 64 * 1024**2


def test_query_logging_off_renders_nothing(api_with: Callable[..., Component]) -> None:
    assert "queryLogging" not in _file(api_with(queryLogging={"enabled": False}))


def test_tracing_exports_to_the_endpoint_with_headers_from_a_secret(
    cluster: Callable[..., Cluster], api_with: Callable[..., Component]
) -> None:
    component = api_with(
        tracing={
            "otlpEndpoint": "http://otel-collector.observability:4318",
            "probability": 0.25,
            "headersSecretRef": {"name": "otel", "key": "headers"},
        }
    )
    tracing = _file(component)["tracing"]
    assert tracing["otlp"] == {"endpoint": "http://otel-collector.observability:4318"}
    assert tracing["probability"] == 0.25
    deployment = build_deployment(cluster("full"), component, config_hash="c", secrets_hash="s")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert {
        "name": "OTEL_EXPORTER_OTLP_HEADERS",
        "valueFrom": {"secretKeyRef": {"name": "otel", "key": "headers"}},
    } in container["env"]
    assert set(tracing["otlp"]) == {"endpoint"}  # the headers stay in the Secret


def test_workers_override_the_cpu_rule(api_with: Callable[..., Component]) -> None:
    component = api_with(workers=3, resources={"requests": {"cpu": "1"}, "limits": {"cpu": "8"}})
    assert workload_command(component)[-2:] == ["--workers", "3"]


@pytest.mark.parametrize(
    ("api", "config", "message"),
    [
        (
            {"resultCache": {"type": "memory"}},
            {"cache": {"type": "memory"}},
            "config.cache and api.resultCache set the same thing",
        ),
        (
            {"queryConcurrency": {"wait": "1s"}},
            {"metrics": {"concurrentQueriesWait": "3s"}},
            "config.metrics.concurrentQueriesWait and api.queryConcurrency.wait",
        ),
        (
            {"queryLogging": {"enabled": True}},
            {"queryLogging": {"type": "slf4j"}},
            "config.queryLogging and api.queryLogging",
        ),
        (
            {"tracing": {"otlpEndpoint": "http://otel:4318"}},
            {"tracing": {"probability": 1.0}},
            "config.tracing and api.tracing",
        ),
        (
            {"maxRequestBodySize": "1Mi"},
            {"maxRequestBodySize": 1000},
            "config.maxRequestBodySize and api.maxRequestBodySize",
        ),
    ],
    ids=["cache", "wait", "logging", "tracing", "body"],
)
def test_a_setting_in_both_places_is_refused(
    manifest: Callable[[str], dict[str, Any]],
    api: dict[str, Any],
    config: dict[str, Any],
    message: str,
) -> None:
    body = manifest("full")
    body["spec"]["api"].update(api)
    body["spec"]["config"] = config
    with pytest.raises(InvalidSpec, match=message):
        parse_cluster(body)


def test_spec_config_alone_still_works(api_with: Callable[..., Component]) -> None:
    data = _file(api_with(config={"cache": {"type": "memory"}, "queryLogging": {"type": "slf4j"}}))
    assert data["cache"]["type"] == "memory"
    assert data["queryLogging"]["type"] == "slf4j"


def test_more_workers_than_one_with_memory_backends_is_refused(
    manifest: Callable[[str], dict[str, Any]],
) -> None:
    body = manifest("memory")
    body["spec"]["api"] = {"workers": 2}
    with pytest.raises(InvalidSpec, match=r"api.workers above 1 .*\(memory: metrics"):
        parse_cluster(body)


@pytest.mark.parametrize(
    ("api", "message"),
    [
        ({"resultCache": {"type": "memcached"}}, "memcachedAddresses is required"),
        (
            {"resultCache": {"type": "memcached", "memcachedAddresses": ["m:1"], "maxSize": "1Gi"}},
            "maxSize applies to type memory only",
        ),
        ({"resultCache": {"type": "memory", "maxTtl": "soon"}}, "maxTtl"),
        ({"tracing": {"otlpEndpoint": "otel:4318"}}, "otlpEndpoint"),
        ({"tracing": {"otlpEndpoint": "http://o:4318", "probability": 2}}, "probability"),
        ({"queryConcurrency": {"limit": 0}}, "limit"),
    ],
    ids=["memcached-no-servers", "size-on-memcached", "ttl", "endpoint", "probability", "limit"],
)
def test_bad_values_name_their_field(
    manifest: Callable[[str], dict[str, Any]], api: dict[str, Any], message: str
) -> None:
    body = manifest("full")
    body["spec"]["api"].update(api)
    with pytest.raises(InvalidSpec, match=message):
        parse_cluster(body)


def test_a_fractional_byte_size_is_refused_naming_the_field(
    api_with: Callable[..., Component],
) -> None:
    with pytest.raises(InvalidSpec, match=r"spec.api.maxRequestBodySize: '100m'"):
        api_with(maxRequestBodySize="100m")
