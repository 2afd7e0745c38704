"""The query result cache through the HTTP API (heroic.yml ``cache``, feature ``cache_query``):
hits and misses, what the key covers, upstream's TTL, LRU eviction by size, and the metrics."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .cache_helpers import CACHE_QUERY, MEMORY_CACHE, MovableClock, cache_client, metric
from .helpers import CLIENT, NOW, query, write

START, END = 600_000, 720_000
RANGE = {"type": "absolute", "start": START, "end": END}
AVERAGE_1M = {"type": "average", "sampling": {"unit": "MINUTES", "value": 1}}
BODY: dict[str, Any] = {"range": RANGE, "aggregation": AVERAGE_1M}
POINTS = [(START + 10_000 * i, float(i)) for i in range(1, 13)]
MINUTE = 60_000


@contextmanager
def seeded(extra: dict[str, Any], clock: MovableClock | None = None) -> Iterator[TestClient]:
    """A running app with ``extra`` config holding cpu{host=a} and cpu{host=b}."""
    with cache_client(extra, clock) as client:
        write(client, "cpu", {"host": "a"}, POINTS)
        write(client, "cpu", {"host": "b"}, [(t, v * 10) for t, v in POINTS])
        yield client


@pytest.fixture
def cached() -> Iterator[TestClient]:
    with seeded(MEMORY_CACHE) as client:
        yield client


def _values(body: dict[str, Any]) -> list[list[list[float]]]:
    return [group["values"] for group in body["result"]]


def test_second_identical_query_is_answered_from_the_cache(cached: TestClient) -> None:
    first = query(cached, BODY)
    second = query(cached, BODY)
    assert (first["cached"], second["cached"]) == (False, True)
    assert first["cache"]["cached"] is False
    assert second["cache"] == {**first["cache"], "cached": True}
    assert second["cache"]["cacheKey"].startswith("heroic/query/")
    assert second["queryId"] != first["queryId"]
    for field in ("range", "limits", "result", "commonTags", "preAggregationSampleSize"):
        assert second[field] == first[field], field
    assert (
        metric(cached, "heroic_query_cache_misses_total"),
        metric(cached, "heroic_query_cache_hits_total"),
    ) == (1, 1)


def test_a_cached_answer_stays_until_its_ttl_then_the_new_data_shows() -> None:
    clock = MovableClock(NOW + 15_000)
    with seeded(MEMORY_CACHE, clock) as client:
        first = query(client, BODY)
        # upstream's TTL: until the next multiple of the cadence (1m), here 45 s
        assert first["cache"]["ttl"] == 45
        write(client, "cpu", {"host": "c"}, POINTS)
        clock.now += 44_999
        stale = query(client, BODY)
        assert stale["cached"] is True
        assert _values(stale) == _values(first)
        clock.now += 1
        fresh = query(client, BODY)
        assert fresh["cached"] is False
        assert fresh["preAggregationSampleSize"] == first["preAggregationSampleSize"] + len(POINTS)
        assert metric(client, "heroic_query_cache_evictions_total", reason="expired") == 1


def test_max_ttl_caps_the_ttl() -> None:
    extra = {**MEMORY_CACHE, "cache": {"type": "memory", "maxTtl": "10s"}}
    clock = MovableClock()
    with seeded(extra, clock) as client:
        assert query(client, BODY)["cache"]["ttl"] == 10
        clock.now += 10_000
        assert query(client, BODY)["cached"] is False


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("filter", {"filter": ["=", "host", "a"]}),
        (
            "aggregation",
            {"aggregation": {"type": "sum", "sampling": {"unit": "MINUTES", "value": 1}}},
        ),
        (
            "sampling",
            {"aggregation": {"type": "average", "sampling": {"unit": "SECONDS", "value": 30}}},
        ),
        ("range", {"range": {"type": "absolute", "start": START, "end": END + MINUTE}}),
        ("source", {"source": "distributionPoints"}),
        ("features", {"features": ["-com.spotify.heroic.end_bucket_stategy"]}),
        ("bucket strategy", {"options": {"bucketStrategy": "start"}}),
        ("limits", {"options": {"groupLimit": 1}}),
    ],
)
def test_anything_that_changes_the_answer_changes_the_key(
    cached: TestClient, name: str, change: dict[str, Any]
) -> None:
    baseline = query(cached, BODY)
    changed = query(cached, {**BODY, **change})
    assert changed["cached"] is False, name
    assert changed["cache"]["cacheKey"] != baseline["cache"]["cacheKey"]


def test_the_backend_group_is_part_of_the_key() -> None:
    extra = {**MEMORY_CACHE, "metrics": {"backends": [{"type": "memory", "groups": ["g1", "g2"]}]}}
    with seeded(extra) as client:
        url = "/query/metrics?group={}"
        cached = [
            client.post(url.format(group), json=BODY, headers=CLIENT).json()["cached"]
            for group in ("g1", "g2", "g1")
        ]
        assert cached == [False, False, True]


def test_the_relative_range_is_aligned_to_the_cadence_so_it_hits_within_one_cadence() -> None:
    clock = MovableClock(NOW + 15_000)
    body = {
        "range": {"type": "relative", "unit": "MINUTES", "value": 10},
        "aggregation": AVERAGE_1M,
    }
    with seeded(MEMORY_CACHE, clock) as client:
        first = query(client, body)
        clock.now += 30_000
        second = query(client, body)
        assert second["cached"] is True
        assert second["range"] == first["range"]
        clock.now += 30_000  # the next minute: the shifted range has moved on
        third = query(client, body)
        assert third["cached"] is False
        assert third["range"]["end"] == first["range"]["end"] + MINUTE


def test_without_the_cache_query_feature_nothing_is_cached() -> None:
    with seeded({"cache": {"type": "memory"}}) as client:
        first = query(client, BODY)
        write(client, "cpu", {"host": "c"}, POINTS)
        second = query(client, BODY)
        assert (first["cached"], first["cache"]) == (False, None)
        assert (second["cached"], second["cache"]) == (False, None)
        assert second["preAggregationSampleSize"] == first["preAggregationSampleSize"] + len(POINTS)
        assert metric(client, "heroic_query_cache_hits_total") == 0
        assert metric(client, "heroic_query_cache_misses_total") == 0


def test_the_feature_in_a_request_turns_caching_on_for_that_request() -> None:
    with seeded({"cache": {"type": "memory"}}) as client:
        body = {**BODY, "features": [CACHE_QUERY]}
        assert query(client, body)["cached"] is False
        assert query(client, body)["cached"] is True
        assert query(client, BODY)["cached"] is False


def test_the_feature_disabled_in_a_request_bypasses_the_cache(cached: TestClient) -> None:
    query(cached, BODY)
    bypass = query(cached, {**BODY, "features": [f"-{CACHE_QUERY}"]})
    assert (bypass["cached"], bypass["cache"]) == (False, None)


def test_the_noop_cache_with_the_feature_caches_nothing() -> None:
    with seeded({"features": [CACHE_QUERY]}) as client:
        query(client, BODY)
        assert query(client, BODY)["cache"] is None


def test_raw_data_queries_are_not_cached(cached: TestClient) -> None:
    body = {"range": RANGE}
    query(cached, body)
    assert query(cached, body)["cache"] is None


def test_answers_with_errors_are_not_kept(cached: TestClient) -> None:
    body = {**BODY, "options": {"dataLimit": 3}}
    first = query(cached, body)
    assert first["errors"], "the data limit should have failed the query"
    assert query(cached, body)["cached"] is False


def test_without_tracing_a_cached_answer_has_no_trace(cached: TestClient) -> None:
    body = {**BODY, "options": {"tracing": False}}
    query(cached, body)
    hit = query(cached, body)
    assert (hit["cached"], hit["trace"]) == (True, None)


def _sized_client(entries: int) -> tuple[AbstractContextManager[TestClient], int]:
    """A cache holding about ``entries`` answers of one group each; returns the entry size."""
    with seeded(MEMORY_CACHE) as probe:
        query(probe, {**BODY, "filter": ["=", "host", "a"]})
        size = int(metric(probe, "heroic_query_cache_bytes"))
    extra = {**MEMORY_CACHE, "cache": {"type": "memory", "maxBytes": size * entries + size // 2}}
    return seeded(extra), size


def _host(client: TestClient, host: str) -> bool:
    answer: bool = query(client, {**BODY, "filter": ["=", "host", host]})["cached"]
    return answer


def test_the_least_recently_used_answer_is_evicted_when_the_cache_is_full() -> None:
    running, size = _sized_client(2)
    with running as client:
        assert [_host(client, h) for h in ("a", "b", "a")] == [False, False, True]
        assert _host(client, "c") is False  # evicts b, the least recently used
        assert metric(client, "heroic_query_cache_evictions_total", reason="size") == 1
        assert _host(client, "a") is True
        assert _host(client, "b") is False
        assert metric(client, "heroic_query_cache_entries") == 2
        assert metric(client, "heroic_query_cache_bytes") <= size * 2 + size // 2


def test_an_answer_larger_than_the_cache_is_not_kept() -> None:
    with seeded({**MEMORY_CACHE, "cache": {"type": "memory", "maxBytes": 300}}) as client:
        query(client, BODY)
        assert query(client, BODY)["cached"] is False
        assert metric(client, "heroic_query_cache_entries") == 0


def test_batch_queries_are_cached_one_by_one(cached: TestClient) -> None:
    batch = {"queries": {"a": BODY, "b": {**BODY, "filter": ["=", "host", "b"]}}}
    first = cached.post("/query/batch", json=batch, headers=CLIENT).json()["results"]
    second = cached.post("/query/batch", json=batch, headers=CLIENT).json()["results"]
    assert {n: r["cached"] for n, r in first.items()} == {"a": False, "b": False}
    assert {n: r["cached"] for n, r in second.items()} == {"a": True, "b": True}
    assert query(cached, BODY)["cached"] is True


def test_an_unreachable_memcached_is_a_miss_and_the_query_is_answered() -> None:
    extra = {
        "cache": {"type": "memcached", "addresses": ["127.0.0.1:1"]},
        "features": [CACHE_QUERY],
    }
    with seeded(extra) as client:
        answer = query(client, BODY)
        assert answer["cached"] is False
        assert answer["preAggregationSampleSize"] == 2 * len(POINTS)
        assert metric(client, "heroic_query_cache_errors_total", operation="get") == 1
        assert metric(client, "heroic_query_cache_errors_total", operation="set") == 1


def test_a_federated_answer_and_a_peers_answer_from_this_shard_do_not_share_a_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # On a federating node a client's query spans every shard, while the same query from a
    # peer (the federated header) asks for this node's shard alone: two different answers.
    monkeypatch.setenv("HEROIC_TEST_NODE_TOKEN", "secret")
    cluster = {
        "tags": {"site": "a"},
        "discovery": {"type": "static", "nodes": []},  # useLocal: this node is the cluster
        "protocols": [{"type": "http", "tokenEnv": "HEROIC_TEST_NODE_TOKEN"}],
    }
    federating = {**MEMORY_CACHE, "cluster": cluster}
    with seeded(federating) as client:
        peer = {**CLIENT, "x-heroic-federated": "peer"}
        federated = client.post("/query/metrics", json=BODY, headers=CLIENT).json()
        local = client.post("/query/metrics", json=BODY, headers=peer).json()
        again = client.post("/query/metrics", json=BODY, headers=peer).json()
    assert federated["errors"] == []
    assert local["errors"] == []
    assert (federated["cached"], local["cached"], again["cached"]) == (False, False, True)
    assert federated["cache"]["cacheKey"] != local["cache"]["cacheKey"]
