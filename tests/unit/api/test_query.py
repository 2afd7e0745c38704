"""POST /query/metrics: write points, query them back, check the whole response (ref. 2.6, 3)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_api.services.results import group_hash
from heroic_core.backends.group import Backends
from heroic_core.config import HeroicConfig

from .helpers import CLIENT, NOW, query, write

START, END = 600_000, 720_000
RANGE = {"type": "absolute", "start": START, "end": END}
AVERAGE_1M = {"type": "average", "sampling": {"unit": "MINUTES", "value": 1}}
POINTS = [(START + 10_000 * i, float(i)) for i in range(1, 13)]


@pytest.fixture
def two_hosts(client: TestClient) -> TestClient:
    """cpu{host=a,site=x} = 1..12 and cpu{host=b,site=x} = 10..120, every 10 s after START."""
    write(client, "cpu", {"host": "a", "site": "x"}, POINTS)
    write(client, "cpu", {"host": "b", "site": "x"}, [(t, v * 10) for t, v in POINTS])
    return client


def _strip_volatile(body: dict[str, Any]) -> dict[str, Any]:
    """Check queryId and trace shapes, then replace them so the rest compares exactly."""
    uuid.UUID(body["queryId"])
    trace = body["trace"]
    assert trace["what"] == {"name": "coreQueryManager.query"}
    assert isinstance(trace["elapsed"], int)
    assert trace["children"][0]["what"]["name"].startswith("coreQueryManager.shard[")
    return {**body, "queryId": "<id>", "trace": "<trace>"}


def _group(
    tags: dict[str, str], values: list[list[Any]], cadence: int, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "points",
        "hash": group_hash({}, extra.pop("key_map", tags)),
        "shard": {},
        "cadence": cadence,
        "values": values,
        "key": "cpu",
        "tags": tags,
        "tagCounts": extra.pop("tag_counts", {}),
        "resource": {},
        "resourceCounts": {},
    }


def test_raw_query_returns_every_point_in_start_exclusive_end_inclusive_window(
    client: TestClient,
) -> None:
    write(client, "cpu", {"host": "a"}, [(START, 0.0), *POINTS, (END + 1, 99.0)])
    body = query(client, {"range": RANGE})
    assert _strip_volatile(body) == {
        "queryId": "<id>",
        "range": {"start": START, "end": END},
        "trace": "<trace>",
        "limits": [],
        "cached": False,
        "cache": None,
        "commonTags": {"host": ["a"]},
        "commonResource": {},
        "result": [_group({"host": "a"}, [[t, v] for t, v in POINTS], 0)],
        "preAggregationSampleSize": 12,
        "errors": [],
    }


def test_average_merges_all_series_into_one_group_per_bucket(two_hosts: TestClient) -> None:
    body = query(two_hosts, {"range": RANGE, "aggregation": AVERAGE_1M})
    values = [[START + 60_000, (21 + 210) / 12], [END, (57 + 570) / 12]]
    assert _strip_volatile(body) == {
        "queryId": "<id>",
        "range": {"start": START, "end": END},
        "trace": "<trace>",
        "limits": [],
        "cached": False,
        "cache": None,
        "commonTags": {"host": ["a", "b"], "site": ["x"]},
        "commonResource": {},
        "result": [
            _group({"site": "x"}, values, 60_000, key_map={}, tag_counts={"host": 2}),
        ],
        "preAggregationSampleSize": 24,
        "errors": [],
    }


def test_group_by_keeps_hosts_apart(two_hosts: TestClient) -> None:
    aggregation = {"type": "group", "of": ["host"], "each": AVERAGE_1M}
    body = query(two_hosts, {"range": RANGE, "aggregation": aggregation})
    assert body["result"] == [
        _group(
            {"host": "a", "site": "x"}, [[660_000, 3.5], [END, 9.5]], 60_000, key_map={"host": "a"}
        ),
        _group(
            {"host": "b", "site": "x"},
            [[660_000, 35.0], [END, 95.0]],
            60_000,
            key_map={"host": "b"},
        ),
    ]
    assert body["preAggregationSampleSize"] == 24


def test_hql_text_body_is_a_query(two_hosts: TestClient) -> None:
    response = two_hosts.post(
        "/query/metrics",
        content=f"average(1m) by host from points({START}, {END}) where host = b".encode(),
        headers={**CLIENT, "Content-Type": "text/plain; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert [(g["tags"], g["values"]) for g in result] == [
        ({"host": "b", "site": "x"}, [[660_000, 35.0], [END, 95.0]])
    ]


def test_json_query_field_overrides_json_filter_and_aggregation(two_hosts: TestClient) -> None:
    body = query(
        two_hosts,
        {
            "query": "max(1m) where host = a",
            "range": RANGE,
            "filter": ["=", "host", "b"],
            "aggregation": {"type": "min"},
        },
    )
    assert [g["values"] for g in body["result"]] == [[[660_000, 6.0], [END, 12.0]]]


def test_hql_without_from_and_no_json_range_is_a_400(client: TestClient) -> None:
    response = client.post(
        "/query/metrics", content=b"average", headers={**CLIENT, "Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    assert response.json()["message"] == "Range must be present"


def test_legacy_key_and_tags_are_anded_into_the_filter(two_hosts: TestClient) -> None:
    write(two_hosts, "mem", {"host": "b"}, POINTS)
    body = query(two_hosts, {"range": RANGE, "key": "cpu", "tags": {"host": "b"}})
    assert [(g["key"], g["tags"]) for g in body["result"]] == [("cpu", {"host": "b", "site": "x"})]


def test_legacy_aggregators_become_a_chain(two_hosts: TestClient) -> None:
    body = query(two_hosts, {"range": RANGE, "aggregators": [{"type": "sum", "size": "1m"}]})
    assert body["result"][0]["values"] == [[660_000, 231.0], [END, 627.0]]


def test_relative_range_ending_now_is_shifted_back_one_bucket(client: TestClient) -> None:
    write(
        client, "cpu", {"host": "a"}, [(NOW - 120_000 + 10_000 * i, float(i)) for i in range(1, 13)]
    )
    relative = {"type": "relative", "unit": "MINUTES", "value": 2}
    body = query(client, {"range": relative, "aggregation": AVERAGE_1M})
    assert body["range"] == {"start": NOW - 180_000, "end": NOW - 60_000}
    assert body["result"][0]["values"] == [[NOW - 60_000, 3.5]]


def test_disabling_shift_range_keeps_the_raw_range(client: TestClient) -> None:
    write(
        client, "cpu", {"host": "a"}, [(NOW - 120_000 + 10_000 * i, float(i)) for i in range(1, 13)]
    )
    relative = {"type": "relative", "unit": "MINUTES", "value": 2}
    body = query(
        client,
        {
            "range": relative,
            "aggregation": AVERAGE_1M,
            "features": ["-com.spotify.heroic.shift_range"],
        },
    )
    assert body["range"] == {"start": NOW - 120_000, "end": NOW}
    assert body["result"][0]["values"] == [[NOW - 60_000, 3.5], [NOW, 9.5]]


def test_start_bucket_strategy_stamps_buckets_at_their_start(client: TestClient) -> None:
    write(client, "cpu", {"host": "a"}, POINTS)
    body = query(
        client, {"range": RANGE, "aggregation": AVERAGE_1M, "options": {"bucketStrategy": "START"}}
    )
    assert body["result"][0]["values"] == [[START, 3.0], [660_000, 8.5]]


def test_default_cadence_sizes_an_aggregation_without_size(client: TestClient) -> None:
    write(client, "cpu", {"host": "a"}, POINTS)
    body = query(
        client,
        {
            "range": {"type": "absolute", "start": 0, "end": 3_600_000},
            "aggregation": {"type": "count"},
        },
    )
    group = body["result"][0]
    assert group["cadence"] == 10_000
    assert sum(v for _, v in group["values"]) == 12.0
    assert len(group["values"]) == 360


def test_resource_is_part_of_the_group_key(client: TestClient) -> None:
    write(client, "cpu", {"host": "a"}, POINTS[:2], resource={"pod": "p1"})
    write(client, "cpu", {"host": "a"}, POINTS[2:4], resource={"pod": "p2"})
    body = query(client, {"range": RANGE})
    assert [(g["resource"], len(g["values"])) for g in body["result"]] == [
        ({"pod": "p1"}, 2),
        ({"pod": "p2"}, 2),
    ]
    assert body["commonResource"] == {"pod": ["p1", "p2"]}


def test_no_matching_series_is_an_empty_result(client: TestClient) -> None:
    body = query(client, {"range": RANGE, "filter": ["key", "nothing"]})
    assert (body["result"], body["errors"], body["limits"]) == ([], [], [])
    assert body["commonTags"] == {}
    assert body["preAggregationSampleSize"] == 0


def test_tracing_none_gives_a_null_trace(client: TestClient) -> None:
    body = query(client, {"range": RANGE, "options": {"tracing": "NONE"}})
    assert body["trace"] is None


def test_series_limit_truncates_and_reports_series(two_hosts: TestClient) -> None:
    body = query(two_hosts, {"range": RANGE, "options": {"seriesLimit": 1}})
    assert body["limits"] == ["SERIES"]
    assert [g["tags"]["host"] for g in body["result"]] == ["a"]


def test_series_limit_with_fail_on_limits_is_a_query_error(two_hosts: TestClient) -> None:
    body = query(two_hosts, {"range": RANGE, "options": {"seriesLimit": 1, "failOnLimits": True}})
    assert (body["result"], body["limits"]) == ([], ["SERIES"])
    assert body["errors"] == [
        {
            "type": "query",
            "error": "The number of series requested is more than the allowed limit of [1]",
        }
    ]


def test_group_limit_truncates_and_reports_group(two_hosts: TestClient) -> None:
    body = query(two_hosts, {"range": RANGE, "options": {"groupLimit": 1}})
    assert body["limits"] == ["GROUP"]
    assert len(body["result"]) == 1


def test_group_limit_equal_to_the_group_count_is_not_a_limit(two_hosts: TestClient) -> None:
    body = query(two_hosts, {"range": RANGE, "options": {"groupLimit": 2}})
    assert (body["limits"], len(body["result"])) == ([], 2)


def test_group_limit_with_fail_on_limits_is_a_query_error(two_hosts: TestClient) -> None:
    body = query(two_hosts, {"range": RANGE, "options": {"groupLimit": 1, "failOnLimits": True}})
    assert (body["result"], body["limits"]) == ([], ["GROUP"])
    assert body["errors"] == [
        {
            "type": "query",
            "error": "The number of result groups is more than the allowed limit of [1]",
        }
    ]


def test_data_limit_aborts_the_fetches_with_quota(two_hosts: TestClient) -> None:
    body = query(two_hosts, {"range": RANGE, "options": {"dataLimit": 5}})
    assert (body["result"], body["limits"]) == ([], ["QUOTA"])
    assert body["errors"] == [
        {"type": "query", "error": "Some fetches failed (1) or were cancelled (1)"}
    ]


def test_aggregation_limit_below_the_bucket_count_fails_at_session_creation(
    two_hosts: TestClient,
) -> None:
    body = query(
        two_hosts, {"range": RANGE, "aggregation": AVERAGE_1M, "options": {"aggregationLimit": 2}}
    )
    assert (body["result"], body["limits"]) == ([], ["AGGREGATION"])
    assert body["errors"] == [
        {"type": "query", "error": "aggregation needs to retain more data then what is allowed: 2"}
    ]


def test_aggregation_limit_on_raw_data_counts_retained_points(two_hosts: TestClient) -> None:
    body = query(two_hosts, {"range": RANGE, "options": {"aggregationLimit": 24}})
    assert (body["result"], body["limits"]) == ([], ["AGGREGATION"])
    assert body["errors"] == [{"type": "query", "error": "Query exceeded quota"}]
    assert query(two_hosts, {"range": RANGE, "options": {"aggregationLimit": 25}})["limits"] == []


def test_configured_limits_apply_without_query_options(backends: Backends) -> None:
    config = HeroicConfig.from_dict(
        {"metrics": {"seriesLimit": 1, "failOnLimits": True, "backends": [{"type": "memory"}]}}
    )
    with TestClient(create_app(config, backends)) as client:
        write(client, "cpu", {"host": "a"}, POINTS)
        write(client, "cpu", {"host": "b"}, POINTS)
        body = query(client, {"range": RANGE})
        assert (body["limits"], body["result"]) == (["SERIES"], [])
        assert query(client, {"range": RANGE, "options": {"seriesLimit": 2}})["limits"] == []


def test_deterministic_feature_rejects_an_unbounded_aggregation(two_hosts: TestClient) -> None:
    body = query(
        two_hosts, {"range": RANGE, "features": ["com.spotify.heroic.deterministic_aggregations"]}
    )
    assert body["result"] == []
    assert body["errors"] == [
        {"type": "query", "error": "Aggregation can not be evaluated with deterministic resources"}
    ]


@pytest.mark.parametrize(
    ("body", "status", "kind", "message"),
    [
        (
            {"range": {"type": "absolute", "start": NOW + 60_000, "end": NOW + 120_000}},
            400,
            "error",
            "start is greater than now",
        ),
        (
            {"range": RANGE, "source": "spreads"},
            400,
            "error",
            "source 'spreads' is not supported: only 'points' and 'distributionPoints' are stored",
        ),
        ({"range": RANGE, "source": "bogus"}, 400, "json-error", None),
        (
            {"range": RANGE, "features": ["com.spotify.heroic.warp_drive"]},
            400,
            "json-error",
            "unknown feature: com.spotify.heroic.warp_drive",
        ),
        (
            {
                "range": {"type": "absolute", "start": 0, "end": 10 * 86_400_000},
                "aggregation": {"type": "average", "size": 1},
            },
            400,
            "error",
            "range {1970-01-01 00:00:00.000}-{1970-01-11 00:00:00.000}, size 1: the aggregation "
            "would make 864000000 buckets, more than the limit of 100000; use a larger size (at "
            "least 8640 ms, 9s) or a shorter range (at most 100000 ms at this size)",
        ),
        (
            {"range": {"type": "absolute", "start": 5, "end": 5}},
            400,
            "error",
            "Range must be present",
        ),
    ],
)
def test_impossible_queries_are_400_with_a_message(
    client: TestClient, body: dict[str, Any], status: int, kind: str, message: str | None
) -> None:
    payload = query(client, body, status)
    assert payload["type"] == kind
    if message is not None:
        assert payload["message"] == message


def test_unknown_backend_group_is_a_400(client: TestClient) -> None:
    response = client.post("/query/metrics?group=nope", json={"range": RANGE}, headers=CLIENT)
    assert response.status_code == 400
    assert response.json()["message"] == "no metric backend belongs to group 'nope'"


def test_known_backend_group_is_used(client: TestClient) -> None:
    write(client, "cpu", {"host": "a"}, POINTS)
    response = client.post("/query/metrics?group=memory", json={"range": RANGE}, headers=CLIENT)
    assert len(response.json()["result"]) == 1
