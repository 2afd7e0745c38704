"""``tdigest`` over distribution points and the P99/P50/P75 groups it turns into."""

from __future__ import annotations

import base64

import numpy as np
import numpy.typing as npt
import pytest

from heroic_core import tdigest
from heroic_core.aggregations import ResultGroup, parse_aggregation
from heroic_core.aggregations.data import DistributionsData, PointsData, TdigestData
from heroic_core.aggregations.distributions import STAT_TAG, percentile_groups
from heroic_core.model import DateRange, Distributions, MetricType, Points, Series

Floats = npt.NDArray[np.float64]

A = Series("latency", {"host": "a", "site": "x"})
B = Series("latency", {"host": "b", "site": "x"})
RANGE = DateRange(0, 60)  # size 20, end strategy: buckets (0,20] (20,40] (40,60]


def sketch(values: Floats) -> bytes:
    return tdigest.encode(tdigest.from_values(values))


def samples(seed: int, n: int = 2000) -> Floats:
    return np.random.default_rng(seed).lognormal(3.0, 0.5, n)


def run(agg: dict[str, object], rows: list[tuple[Series, Distributions]]) -> list[ResultGroup]:
    return parse_aggregation(agg).apply(rows, RANGE, "end").groups


def test_each_bucket_merges_every_sketch_it_covers() -> None:
    raw = {ts: samples(ts) for ts in (5, 15, 25)}
    a = Distributions.of([(5, sketch(raw[5])), (25, sketch(raw[25]))])
    b = Distributions.of([(15, sketch(raw[15]))])
    [group] = run({"type": "tdigest", "size": 20}, [(A, a), (B, b)])
    assert group.metric_type is MetricType.TDIGEST_POINTS
    assert isinstance(group.collection, TdigestData)
    assert group.collection.ts.tolist() == [20, 40]  # bucket (40,60] is empty: no sample
    first, second = group.collection.digests
    assert first.count == pytest.approx(4000)
    assert second.count == pytest.approx(2000)
    both = np.concatenate([raw[5], raw[15]])
    for q in (0.5, 0.75, 0.99):
        assert tdigest.quantile(first, q) == pytest.approx(np.quantile(both, q), rel=0.03)


def test_group_by_keeps_one_sketch_stream_per_group() -> None:
    a = Distributions.of([(5, sketch(samples(1)))])
    b = Distributions.of([(5, sketch(samples(2) * 10))])
    groups = run(
        {"type": "group", "of": ["host"], "each": {"type": "tdigest", "size": 20}},
        [(A, a), (B, b)],
    )
    medians = {g.key["host"]: tdigest.quantile(g.collection.digests[0], 0.5) for g in groups}  # type: ignore[union-attr]
    assert medians["b"] == pytest.approx(10 * medians["a"], rel=0.05)


def test_points_are_not_distribution_points() -> None:
    [group] = (
        parse_aggregation({"type": "tdigest", "size": 20})
        .apply([(A, Points.of([(10, 1.0)]))], RANGE, "end")
        .groups
    )
    assert len(group.collection) == 0


def test_a_payload_that_is_not_a_sketch_is_skipped_and_the_rest_counts() -> None:
    good = samples(3)
    rows = Distributions.of([(5, b"\x00\x00\x00\x07garbage"), (6, sketch(good))])
    [group] = run({"type": "tdigest", "size": 20}, [(A, rows)])
    assert [d.count for d in group.collection.digests] == [pytest.approx(len(good))]  # type: ignore[union-attr]


def test_percentile_groups_replace_a_sketch_group_by_three_tagged_point_groups() -> None:
    values = samples(4)
    digest = tdigest.from_values(values)
    sketches = ResultGroup(
        {"site": "x"},
        [A, B],
        MetricType.TDIGEST_POINTS,
        TdigestData(np.asarray([20], dtype=np.int64), (digest,)),
    )
    plain = ResultGroup({}, [A], MetricType.POINTS, PointsData(np.asarray([20]), np.asarray([1.0])))
    out = percentile_groups([sketches, plain])
    assert [sorted({s.tags[STAT_TAG] for s in g.series}) for g in out[:3]] == [
        ["P99"],
        ["P50"],
        ["P75"],
    ]
    assert out[3] is plain
    for g, q in zip(out[:3], (0.99, 0.5, 0.75), strict=True):
        assert g.metric_type is MetricType.POINTS
        assert g.key == {"site": "x"}
        assert {s.tags["host"] for s in g.series} == {"a", "b"}
        [[ts, value]] = g.data
        assert ts == 20
        assert value == pytest.approx(np.quantile(values, q), rel=0.05)


def test_distribution_points_serialize_as_base64_payloads() -> None:
    data = DistributionsData(np.asarray([5, 9], dtype=np.int64), (b"\x01\x02", b""))
    assert data.to_json() == [
        {"value": base64.b64encode(b"\x01\x02").decode(), "timestamp": 5},
        {"value": "", "timestamp": 9},
    ]


def test_tdigest_points_serialize_as_the_small_encoding() -> None:
    digest = tdigest.from_values(samples(5))
    [item] = TdigestData(np.asarray([20], dtype=np.int64), (digest,)).to_json()
    back = tdigest.decode(base64.b64decode(item["value"]))
    assert item["timestamp"] == 20
    assert tdigest.quantile(back, 0.5) == pytest.approx(tdigest.quantile(digest, 0.5), rel=1e-6)
