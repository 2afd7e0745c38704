"""Resource bounds: configured limits cap what a query reads, absurd bucket counts cost nothing.

With ``seriesLimit``/``dataLimit`` set, the number of backend fetches (and so the points held
in memory) is bounded by the limits and the fetch parallelism, however many series match. A
sampling aggregation whose bucket count is absurd (1 ms over a century) is a 400 before any
series is looked up or fetched, wherever it sits in the aggregation tree.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from heroic_api.main import create_app
from heroic_core.backends.factory import build_backends
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Points, Series

from .fuzz_client import FUZZ, JSON, check, dumps
from .helpers import NOW, fixed_clock

SERIES_COUNT = 120
POINTS_PER_SERIES = 30
PARALLELISM = 4
CENTURY = {"type": "absolute", "start": 0, "end": NOW}  # 1 ms buckets over 53 years
HOUR = {"type": "absolute", "start": NOW - 3_600_000, "end": NOW}


@dataclass
class Calls:
    """Backend calls made by the app under test."""

    fetch: int = 0
    find: int = 0


def _counting(calls: Calls, name: str, fn: Callable[..., Awaitable[Any]]) -> Any:
    async def counted(*args: Any, **kwargs: Any) -> Any:
        setattr(calls, name, getattr(calls, name) + 1)
        return await fn(*args, **kwargs)

    return counted


async def _seed(backends: Any) -> None:
    for i in range(SERIES_COUNT):
        series = Series("load", {"host": f"h{i:03d}"})
        samples = [(NOW - k * 60_000, float(k)) for k in range(POINTS_PER_SERIES)]
        for metric in backends.metrics.use(None):
            await metric.write(series, Points.of(samples))
        for metadata in backends.metadata.use(None):
            await metadata.write(series, DateRange(NOW - 3_600_000, NOW))


@pytest.fixture(scope="module")
def counted() -> Iterator[tuple[TestClient, Calls]]:
    memory = {"backends": [{"type": "memory"}]}
    config = HeroicConfig.from_dict(
        {"metrics": {"fetchParallelism": PARALLELISM, **memory}, "metadata": memory}
    )
    backends = build_backends(config)
    asyncio.run(_seed(backends))
    calls = Calls()
    for metric in backends.metrics.use(None):
        metric.fetch = _counting(calls, "fetch", metric.fetch)  # type: ignore[method-assign]
    for metadata in backends.metadata.use(None):
        metadata.find_series = _counting(calls, "find", metadata.find_series)  # type: ignore[method-assign]
    app = create_app(config, backends)
    app.state.heroic.clock = fixed_clock
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client, calls


def _query(client: TestClient, calls: Calls, body: dict[str, Any]) -> dict[str, Any]:
    calls.fetch = calls.find = 0
    result = check(client.post("/query/metrics", content=dumps(body), headers=JSON))
    assert isinstance(result, dict)
    return result


@FUZZ
@given(
    series_limit=st.one_of(st.none(), st.integers(0, SERIES_COUNT + 5)),
    data_limit=st.one_of(st.none(), st.integers(1, SERIES_COUNT * POINTS_PER_SERIES + 5)),
    aggregation=st.sampled_from([None, {"type": "sum", "size": "1m"}, {"type": "count"}]),
)
def test_fetches_are_bounded_by_the_series_and_data_limits(
    counted: tuple[TestClient, Calls],
    series_limit: int | None,
    data_limit: int | None,
    aggregation: dict[str, Any] | None,
) -> None:
    client, calls = counted
    body: dict[str, Any] = {
        "range": HOUR,
        "features": ["-shift_range"],
        "options": {"seriesLimit": series_limit, "dataLimit": data_limit},
    }
    if aggregation is not None:
        body["aggregation"] = aggregation
    result = _query(client, calls, body)
    assert calls.find == 1
    bound = SERIES_COUNT if series_limit is None else series_limit
    if data_limit is not None:
        needed = math.ceil(data_limit / POINTS_PER_SERIES)
        bound = min(bound, needed + PARALLELISM - 1)
        if calls.fetch and calls.fetch * POINTS_PER_SERIES >= data_limit:
            assert "QUOTA" in result["limits"]
    assert calls.fetch <= bound
    if data_limit is None and series_limit is None:
        assert calls.fetch == SERIES_COUNT


def _wrapped(kind: str, inner: dict[str, Any]) -> dict[str, Any]:
    if kind == "group":
        return {"type": "group", "of": ["host"], "each": inner}
    if kind == "chain":
        return {"type": "chain", "chain": [{"type": "sum", "size": "1d"}, inner]}
    if kind == "opts":
        sampling = {"value": inner["size"]}
        return {"type": "opts", "sampling": sampling, "aggregation": {"type": inner["type"]}}
    if kind == "collapse":
        return {"type": "collapse", "of": [], "each": {"type": "chain", "chain": [inner]}}
    return inner


@FUZZ
@given(
    kind=st.sampled_from(["plain", "group", "chain", "opts", "collapse"]),
    name=st.sampled_from(["sum", "average", "count", "quantile", "cardinality", "spread"]),
    size=st.sampled_from([1, 2, 7, 30]),
    strategy=st.sampled_from(["start", "end"]),
)
def test_absurd_bucket_counts_are_a_400_before_any_backend_call(
    counted: tuple[TestClient, Calls], kind: str, name: str, size: int, strategy: str
) -> None:
    client, calls = counted
    calls.fetch = calls.find = 0
    body = {
        "range": CENTURY,
        "aggregation": _wrapped(kind, {"type": name, "size": size}),
        "options": {"bucketStrategy": strategy},
    }
    response = client.post("/query/metrics", content=dumps(body), headers=JSON)
    error = check(response)
    assert response.status_code == 400
    assert isinstance(error, dict)
    assert error["message"].startswith("range {")
    assert f", size {size}: the aggregation would make " in error["message"]
    assert "more than the limit of 100000; use a larger size" in error["message"]
    assert (calls.find, calls.fetch) == (0, 0)


def test_a_bucket_count_just_under_the_maximum_is_evaluated(
    counted: tuple[TestClient, Calls],
) -> None:
    client, calls = counted
    body = {
        "range": {"type": "absolute", "start": NOW - 100_000 * 36, "end": NOW},
        "features": ["-shift_range"],
        "aggregation": {"type": "sum", "size": 36},
        "filter": ["=", "host", "h000"],
    }
    result = _query(client, calls, body)
    assert len(result["result"]) == 1
    assert calls.fetch == 1
