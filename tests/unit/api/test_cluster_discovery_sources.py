"""``cluster.discovery`` as a list of sources (ours): every source is asked and the addresses are
joined in order, each once; one source keeps upstream's form; an empty list is refused."""

from __future__ import annotations

import asyncio

import pytest

from heroic_api.cluster.discovery import (
    JoinedDiscovery,
    NoDiscovery,
    SrvDiscovery,
    StaticDiscovery,
    build_discovery,
)
from heroic_core.config import ConfigError, HeroicConfig


def _cluster(discovery: object) -> HeroicConfig:
    return HeroicConfig.from_dict({"cluster": {"discovery": discovery}}, "test")


def _dumped(config: HeroicConfig) -> object:
    return config.model_dump(mode="json", by_alias=True, exclude_none=True)["cluster"]["discovery"]


def test_a_list_of_sources_joins_their_addresses_in_order_without_repeats() -> None:
    config = _cluster(
        [
            {"type": "static", "nodes": ["http://a:8080", "http://b:8080"]},
            {"type": "static", "nodes": ["http://b:8080", "http://c:8080"]},
        ]
    )
    discovery = build_discovery(config.cluster.discovery)
    assert isinstance(discovery, JoinedDiscovery)
    found = asyncio.run(discovery.find())
    assert found == ["http://a:8080", "http://b:8080", "http://c:8080"]


def test_a_list_may_mix_srv_and_static_sources() -> None:
    config = _cluster(
        [
            {"type": "srv", "records": ["_http._tcp.own.ns.svc.cluster.local"]},
            {"type": "static", "nodes": ["https://peer.example:443"]},
        ]
    )
    discovery = build_discovery(config.cluster.discovery)
    assert isinstance(discovery, JoinedDiscovery)
    assert [type(s) for s in discovery.sources] == [SrvDiscovery, StaticDiscovery]


def test_one_source_keeps_upstreams_form() -> None:
    config = _cluster({"type": "static", "nodes": ["http://a:8080"]})
    assert isinstance(build_discovery(config.cluster.discovery), StaticDiscovery)
    assert _dumped(config) == {"type": "static", "nodes": ["http://a:8080"]}


def test_a_list_of_one_is_one_source() -> None:
    config = _cluster([{"type": "static", "nodes": ["http://a:8080"]}])
    assert config == _cluster({"type": "static", "nodes": ["http://a:8080"]})


def test_without_discovery_nothing_is_found() -> None:
    config = HeroicConfig.from_dict({}, "test")
    assert config.cluster.discovery is None
    assert asyncio.run(build_discovery(config.cluster.discovery).find()) == []
    assert isinstance(build_discovery(config.cluster.discovery), NoDiscovery)


def test_an_empty_list_of_sources_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"cluster\.discovery: Value should have at least 1 item"):
        _cluster([])


def test_an_unknown_source_type_is_named_once() -> None:
    with pytest.raises(ConfigError, match=r"unknown type 'dns'") as info:
        _cluster({"type": "dns"})
    assert "1 problem" in str(info.value)


def test_a_list_round_trips_through_the_wire_form() -> None:
    config = _cluster(
        [
            {"type": "srv", "records": ["_http._tcp.x"], "protocol": "https", "port": 8443},
            {"type": "static", "nodes": ["http://y:8080"]},
        ]
    )
    assert isinstance(_dumped(config), list)
    assert HeroicConfig.from_dict(config.model_dump(mode="json", by_alias=True), "again") == config
