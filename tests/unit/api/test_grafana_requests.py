"""Requests as Grafana's Heroic datasource sends them: legacy ``aggregators`` lists with
``sampling: {unit, value}``, where ``$__interval`` under a second is a fraction of a second; and
the 400 a dashboard shows when its interval makes too many buckets."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from .helpers import CLIENT, query, write

START = 1_000_000
RANGE = {"type": "absolute", "start": START, "end": START + 2_000}


def _average(value: float, unit: str = "seconds") -> dict[str, Any]:
    return {"type": "average", "sampling": {"unit": unit, "value": value}}


def test_sub_second_interval_buckets_by_the_milliseconds_it_means(client: TestClient) -> None:
    write(client, "cpu", {"host": "a"}, [(START + 100 * i, float(i)) for i in range(1, 21)])
    body = query(client, {"range": RANGE, "aggregators": [_average(0.5)]})
    values = body["result"][0]["values"]
    # 500 ms buckets, end strategy: (S, S+500] holds the points at +100..+500, i.e. 1..5.
    assert [t - START for t, _ in values] == [500, 1000, 1500, 2000]
    assert [v for _, v in values] == [3.0, 8.0, 13.0, 18.0]


def test_an_interval_below_a_millisecond_is_still_refused(client: TestClient) -> None:
    body = query(client, {"range": RANGE, "aggregators": [_average(0.0002)]}, 400)
    assert (body["path"], body["message"]) == (
        "aggregators[0].sampling.value",
        "duration must be at least one millisecond",
    )


@pytest.mark.parametrize(
    ("aggregators", "path"),
    [
        ([_average(1), _average(1, "fortnights")], "aggregators[1].sampling.unit"),
        ([{"type": "median"}], "aggregators[0].type"),
        ([_average(1), {"type": "sum", "sise": 1}], "aggregators[1].sise"),
    ],
)
def test_errors_in_a_legacy_aggregators_list_name_the_item(
    client: TestClient, aggregators: list[dict[str, Any]], path: str
) -> None:
    body = query(client, {"range": RANGE, "aggregators": aggregators}, 400)
    assert (body["type"], body["path"]) == ("json-error", path)


def test_errors_in_a_batch_name_the_query_and_the_item(client: TestClient) -> None:
    batch = {"queries": {"a": {"range": RANGE, "aggregators": [{"type": "median"}]}}}
    response = client.post("/query/batch", json=batch, headers=CLIENT)
    assert response.status_code == 400
    assert response.json()["path"] == "queries.a.aggregators[0].type"


def test_too_many_buckets_says_how_many_the_limit_and_the_fix(client: TestClient) -> None:
    response = client.post(
        "/query/metrics",
        content="average(1ms) from points(30d)",
        headers={**CLIENT, "Content-Type": "text/plain"},
    )
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith("range {")
    assert ", size 1: the aggregation would make 2592000000 buckets" in message
    assert "more than the limit of 100000" in message
    assert "use a larger size (at least 25920 ms, 26s) or a shorter range" in message
