"""The Prometheus query API on memory backends: PromQL semantics on hand-computed cases
(Prometheus 2's lookback, windows, counter resets, matching, histograms), the response and
error shapes, parameter rules and limits. Differential tests against a real Prometheus are in
tests/integration/prometheus."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.config import HeroicConfig

from .remote_write_helpers import V1_HEADERS, body

T0 = 1_700_000_000  # seconds; samples are written from here on


def write(
    client: TestClient, key: str, tags: dict[str, str], points: list[tuple[int, float]]
) -> None:
    body = {
        "series": {"key": key, "tags": tags},
        "data": {"type": "points", "data": [[t * 1000, v] for t, v in points]},
    }
    response = client.post("/write", json=body)
    assert response.status_code == 200, response.text


def instant(client: TestClient, query: str, time: int) -> list[dict[str, Any]]:
    response = client.get("/api/v1/query", params={"query": query, "time": str(time)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "success"
    assert body["data"]["resultType"] == "vector"
    return sorted(body["data"]["result"], key=lambda r: sorted(r["metric"].items()))


def value_of(result: list[dict[str, Any]]) -> float:
    assert len(result) == 1, result
    return float(result[0]["value"][1])


def error(client: TestClient, path: str, **params: str) -> tuple[int, dict[str, Any]]:
    response = client.get(path, params=params)
    body = response.json()
    assert body["status"] == "error"
    return response.status_code, body


@pytest.fixture
def counters(client: TestClient) -> TestClient:
    # every 15 s: a linear counter (2 per sample) and one that resets after 20
    write(
        client,
        "http.requests",
        {"host": "a", "job": "api"},
        [(T0 + 15 * i, 2.0 * i) for i in range(41)],
    )
    write(
        client,
        "resets",
        {"host": "a"},
        [(T0, 10), (T0 + 15, 20), (T0 + 30, 5), (T0 + 45, 15), (T0 + 60, 25)],
    )
    return client


def test_rate_of_a_linear_counter_is_its_slope(counters: TestClient) -> None:
    result = instant(counters, 'rate({"http.requests"}[5m])', T0 + 600)
    assert result[0]["metric"] == {"host": "a", "job": "api"}  # functions drop the name
    assert value_of(result) == pytest.approx(2 / 15, rel=1e-12)


def test_increase_adds_the_value_before_a_reset(counters: TestClient) -> None:
    # window [T0, T0+60] holds all five samples: 25 - 10 + 20 (the reset), no extrapolation
    assert value_of(instant(counters, "increase(resets[1m])", T0 + 60)) == pytest.approx(35)
    assert value_of(instant(counters, "resets(resets[1m])", T0 + 60)) == 1
    assert value_of(instant(counters, "changes(resets[1m])", T0 + 60)) == 4
    assert value_of(instant(counters, "delta(resets[1m])", T0 + 60)) == pytest.approx(15)
    assert value_of(instant(counters, "irate(resets[1m])", T0 + 60)) == pytest.approx(10 / 15)


def test_instant_selector_looks_back_five_minutes(client: TestClient) -> None:
    write(client, "gauge", {}, [(T0, 7.0)])
    assert value_of(instant(client, "gauge", T0 + 300)) == 7.0
    assert instant(client, "gauge", T0 + 301) == []
    assert instant(client, "gauge", T0 - 1) == []


def test_offset_and_at_move_the_evaluation_time(counters: TestClient) -> None:
    assert value_of(instant(counters, '{"http.requests"} offset 1m', T0 + 600)) == 2.0 * 36
    assert value_of(instant(counters, '{"http.requests"} @ 1700000150', T0 + 600)) == 20.0
    response = counters.get(
        "/api/v1/query_range",
        params={"query": "resets @ end()", "start": str(T0), "end": str(T0 + 60), "step": "30"},
    )
    values = response.json()["data"]["result"][0]["values"]
    assert values == [[T0, "25"], [T0 + 30, "25"], [T0 + 60, "25"]]


def test_range_query_steps_and_matrix_shape(counters: TestClient) -> None:
    response = counters.post(
        "/api/v1/query_range",
        data={"query": "resets", "start": str(T0 + 15), "end": str(T0 + 45), "step": "15s"},
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["resultType"] == "matrix"
    assert data["result"] == [
        {
            "metric": {"__name__": "resets", "host": "a"},
            "values": [[T0 + 15, "20"], [T0 + 30, "5"], [T0 + 45, "15"]],
        }
    ]


@pytest.fixture
def fleet(client: TestClient) -> TestClient:
    for host, role, value in (("a", "db", 1.0), ("b", "db", 2.0), ("c", "web", 4.0)):
        write(client, "load", {"host": host, "role": role}, [(T0, value)])
        write(client, "info", {"host": host, "team": f"t-{host}"}, [(T0, 1.0)])
    return client


def test_aggregations_by_and_without(fleet: TestClient) -> None:
    by_role = instant(fleet, "sum by (role) (load)", T0)
    assert [(r["metric"], r["value"][1]) for r in by_role] == [
        ({"role": "db"}, "3"),
        ({"role": "web"}, "4"),
    ]
    without = instant(fleet, "max without (host) (load)", T0)
    assert [(r["metric"], r["value"][1]) for r in without] == [
        ({"role": "db"}, "2"),
        ({"role": "web"}, "4"),
    ]
    assert value_of(instant(fleet, "stddev(load)", T0)) == pytest.approx((14 / 9) ** 0.5)
    assert value_of(instant(fleet, "quantile(0.5, load)", T0)) == 2.0
    top = instant(fleet, "topk(2, load)", T0)
    assert [r["metric"]["host"] for r in top] == ["b", "c"]
    assert top[0]["metric"]["__name__"] == "load"
    counted = instant(fleet, 'count_values("n", load)', T0)
    assert [r["metric"] for r in counted] == [{"n": "1"}, {"n": "2"}, {"n": "4"}]


def test_group_left_copies_labels_from_the_one_side(fleet: TestClient) -> None:
    result = instant(fleet, "load * on (host) group_left (team) info", T0)
    assert [r["metric"] for r in result] == [
        {"host": "a", "role": "db", "team": "t-a"},
        {"host": "b", "role": "db", "team": "t-b"},
        {"host": "c", "role": "web", "team": "t-c"},
    ]


def test_comparisons_filter_or_return_bool(fleet: TestClient) -> None:
    assert [r["metric"]["host"] for r in instant(fleet, "load > 1", T0)] == ["b", "c"]
    as_bool = instant(fleet, "load > bool 1", T0)
    assert [r["value"][1] for r in as_bool] == ["0", "1", "1"]
    assert "__name__" not in as_bool[0]["metric"]
    assert [
        r["metric"]["host"] for r in instant(fleet, 'load unless on (host) info{host="a"}', T0)
    ] == ["b", "c"]


def test_many_to_many_matching_is_an_execution_error(fleet: TestClient) -> None:
    status, body = error(fleet, "/api/v1/query", query="load * on (role) load", time=str(T0))
    assert status == 422
    assert body["errorType"] == "execution"
    assert "many-to-many" in body["error"]


def test_histogram_quantile_interpolates_in_the_bucket(client: TestClient) -> None:
    for le, count in (("0.1", 10.0), ("0.5", 30.0), ("1", 40.0), ("+Inf", 40.0)):
        write(client, "latency_bucket", {"le": le, "path": "/q"}, [(T0, count)])
    result = instant(client, "histogram_quantile(0.5, latency_bucket)", T0)
    assert result[0]["metric"] == {"path": "/q"}
    # rank 20 falls in (0.1, 0.5] holding 20 of the 40: 0.1 + 0.4 * 10/20
    assert value_of(result) == pytest.approx(0.3)


def test_absent_label_replace_and_subquery(fleet: TestClient) -> None:
    absent = instant(fleet, 'absent(nothing{job="x", env=~"p.*"})', T0)
    assert absent == [{"metric": {"job": "x"}, "value": [T0, "1"]}]
    assert instant(fleet, "absent(load)", T0) == []
    replaced = instant(fleet, 'label_replace(load{host="a"}, "h", "host-$1", "host", "(.*)")', T0)
    assert replaced[0]["metric"] == {"__name__": "load", "h": "host-a", "host": "a", "role": "db"}
    assert value_of(instant(fleet, 'max_over_time(load{host="c"}[2m:1m])', T0 + 120)) == 4.0


def test_scalar_and_string_results(client: TestClient) -> None:
    response = client.get("/api/v1/query", params={"query": "2 ^ 10", "time": "100.5"})
    assert response.json()["data"] == {"resultType": "scalar", "result": [100.5, "1024"]}
    response = client.get("/api/v1/query", params={"query": '"hello"', "time": "100"})
    assert response.json()["data"] == {"resultType": "string", "result": [100, "hello"]}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"query": "sum(", "time": "1"}, "1:4: parse error: unclosed left parenthesis"),
        ({"query": "histogram_count(x)"}, "histogram_count() is not supported"),
        ({"query": "x", "time": "yesterday"}, 'invalid parameter "time"'),
    ],
)
def test_bad_queries_are_bad_data(client: TestClient, params: dict[str, str], message: str) -> None:
    status, body = error(client, "/api/v1/query", **params)
    assert status == 400
    assert body["errorType"] == "bad_data"
    assert message in body["error"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"query": "x", "start": "10", "end": "1", "step": "1"},
            "end timestamp must not be before",
        ),
        ({"query": "x", "start": "0", "end": "10", "step": "0"}, "zero or negative"),
        ({"query": "x", "start": "0", "end": "100000", "step": "1"}, "11,000 points"),
        ({"query": "x[5m]", "start": "0", "end": "10", "step": "1"}, '"range vector" for range'),
        ({"query": "x", "end": "10", "step": "1"}, '"start": missing'),
    ],
)
def test_range_parameters_follow_prometheus(
    client: TestClient, params: dict[str, str], message: str
) -> None:
    status, body = error(client, "/api/v1/query_range", **params)
    assert status == 400
    assert message in body["error"]


MEMORY = {kind: {"backends": [{"type": "memory"}]} for kind in ("metadata", "suggest")}


def configured(config: dict[str, Any]) -> TestClient:
    metrics = {"backends": [{"type": "memory"}], **config.get("metrics", {})}
    return TestClient(create_app(HeroicConfig.from_dict({**MEMORY, **config, "metrics": metrics})))


def test_series_limit_is_an_execution_error_naming_it() -> None:
    with configured({"metrics": {"seriesLimit": 2}}) as client:
        for host in "abc":
            write(client, "load", {"host": host}, [(T0, 1.0)])
        status, body = error(client, "/api/v1/query", query="load", time=str(T0))
        assert status == 422
        assert "metrics.seriesLimit" in body["error"]
        assert value_of(instant(client, 'load{host="a"}', T0)) == 1.0


def test_values_escaping_on_the_way_out_and_in() -> None:
    with configured({"prometheus": {"nameEscaping": "values"}}) as client:
        check_values_escaping(client)


def check_values_escaping(client: TestClient) -> None:
    write(client, "cpu.usage", {"host.name": "a"}, [(T0, 0.5)])
    result = instant(client, "U__cpu_2e_usage", T0)
    assert result[0]["metric"] == {"__name__": "U__cpu_2e_usage", "U__host_2e_name": "a"}
    assert value_of(instant(client, '{"cpu.usage"}', T0)) == 0.5
    names = client.get("/api/v1/label/__name__/values").json()["data"]
    assert names == ["U__cpu_2e_usage"]


def test_remote_write_unescapes_with_the_configured_escaping() -> None:
    with configured({"prometheus": {"nameEscaping": "values"}}) as client:
        payload = body(
            ([("__name__", "U__cpu_2e_usage"), ("U__host_2e_name", "a")], [(T0 * 1000, 2.0)])
        )
        response = client.post("/api/v1/write", content=payload, headers=V1_HEADERS)
        assert response.status_code == 204, response.text
        series = client.post("/metadata/series", json={}).json()["series"]
        assert [(s["key"], s["tags"]) for s in series] == [("cpu.usage", {"host.name": "a"})]


def test_made_label_names_follow_the_escaping_rule(fleet: TestClient) -> None:
    # allow-utf-8: any non-empty name, as Prometheus 3 (Heroic tags such as host.dc are labels)
    made = instant(fleet, 'label_replace(load{host="a"}, "host.dc", "x", "", "")', T0)
    assert made[0]["metric"]["host.dc"] == "x"
    status, body = error(
        fleet, "/api/v1/query", query='label_replace(load, "", "x", "", "")', time=str(T0)
    )
    assert (status, body["errorType"]) == (422, "execution")
    # values: legal legacy names only, as Prometheus 2
    with configured({"prometheus": {"nameEscaping": "values"}}) as client:
        write(client, "load", {"host": "a"}, [(T0, 1.0)])
        status, body = error(
            client, "/api/v1/query", query='label_replace(load, "1bad", "x", "", "")', time=str(T0)
        )
        assert (status, body["errorType"]) == (422, "execution")
        assert "1bad" in body["error"]
