"""Distributed aggregations: each shard runs the node part on its own series, the API node
reduces what they send (through the wire's JSON), and the answer equals one node running the
whole aggregation on every series."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from heroic_core.aggregations import parse_aggregation
from heroic_core.aggregations.base import AggregationResult
from heroic_core.aggregations.data import Chunk
from heroic_core.aggregations.distributed import reduce_chunks, split
from heroic_core.aggregations.wire import collection_from_json
from heroic_core.model import DateRange, Points, Series

RANGE = DateRange(0, 600_000)
SIZE = {"duration": 1, "unit": "MINUTES"}


def _shards() -> list[list[tuple[Series, Points]]]:
    rng = np.random.default_rng(7)
    shards: list[list[tuple[Series, Points]]] = [[], [], []]
    for i in range(12):
        series = Series("cpu", {"host": f"h{i}", "site": f"s{i % 3}", "role": f"r{i % 2}"})
        ts = np.sort(rng.choice(np.arange(1, 600_000, 997), size=150, replace=False))
        points = Points(ts.astype(np.int64), rng.normal(10.0, 5.0, size=150))
        shards[i % 3].append((series, points))  # a series lives in exactly one shard
    return shards


def _resolved(obj: dict[str, Any]) -> Any:
    return parse_aggregation(obj, "aggregation").with_default_size(60_000)


def _over_wire(result: AggregationResult) -> list[Chunk]:
    """What the API node rebuilds from a node's answer."""
    return [
        Chunk(g.key, tuple(g.series), collection_from_json(g.metric_type.value, g.data))
        for g in result.groups
    ]


def _canonical(result: AggregationResult) -> list[tuple[Any, ...]]:
    out = []
    for g in result.groups:
        values = [
            (t, round(v, 6) if isinstance(v, float) else v)
            for t, v in (tuple(p) if isinstance(p, list | tuple) else (p, None) for p in g.data)
        ]
        out.append((sorted(g.key.items()), sorted(s.key + str(s.tags) for s in g.series), values))
    return sorted(out, key=repr)


DISTRIBUTABLE: list[dict[str, Any]] = [
    {"type": "sum", "size": SIZE},
    {"type": "sum2", "size": SIZE},
    {"type": "count", "size": SIZE},
    {"type": "average", "size": SIZE},
    {"type": "min", "size": SIZE},
    {"type": "max", "size": SIZE},
    {"type": "stddev", "size": SIZE},
    {"type": "group", "of": ["site"], "each": {"type": "average", "size": SIZE}},
    {"type": "group", "of": [], "each": {"type": "max", "size": SIZE, "extent": "3m"}},
    {"type": "collapse", "of": ["host"], "each": {"type": "sum", "size": SIZE}},
    {
        "type": "chain",
        "chain": [
            {"type": "group", "of": ["host"], "each": {"type": "average", "size": SIZE}},
            {"type": "group", "of": ["role"], "each": {"type": "sum", "size": SIZE}},
        ],
    },
]
NOT_DISTRIBUTABLE: list[dict[str, Any]] = [
    {"type": "quantile", "size": SIZE, "q": 0.9},
    {"type": "group", "of": ["site"], "each": {"type": "ratePerSecond", "size": SIZE}},
    {"type": "chain", "chain": [{"type": "delta"}, {"type": "sum", "size": SIZE}]},
]


def _distributed_answer(obj: dict[str, Any]) -> AggregationResult:
    parts = split(_resolved(obj))
    chunks = [
        chunk for shard in _shards() for chunk in _over_wire(parts.node.apply(shard, RANGE, "end"))
    ]
    return reduce_chunks(parts.reducer, chunks, RANGE, "end")


@pytest.mark.parametrize("obj", DISTRIBUTABLE + NOT_DISTRIBUTABLE, ids=repr)
def test_reduced_answer_equals_one_node_over_all_series(obj: dict[str, Any]) -> None:
    whole = _resolved(obj).apply([row for shard in _shards() for row in shard], RANGE, "end")
    assert whole.groups
    assert _canonical(_distributed_answer(obj)) == _canonical(whole)


@pytest.mark.parametrize(
    ("obj", "node_type"),
    [
        ({"type": "average", "size": SIZE}, "spread"),
        ({"type": "min", "size": SIZE}, "spread"),
        ({"type": "count", "size": SIZE}, "count"),
        ({"type": "sum", "size": SIZE}, "sum"),
    ],
)
def test_node_part_keeps_what_the_reducer_needs(obj: dict[str, Any], node_type: str) -> None:
    parts = split(_resolved(obj))
    assert parts.distributed
    assert parts.node.to_json()["type"] == node_type


@pytest.mark.parametrize("obj", NOT_DISTRIBUTABLE, ids=repr)
def test_what_cannot_distribute_makes_nodes_send_raw_data(obj: dict[str, Any]) -> None:
    parts = split(_resolved(obj))
    assert not parts.distributed
    assert parts.node.to_json() == {"type": "empty"}


def test_chain_runs_up_to_the_first_step_that_does_not_distribute_on_the_nodes() -> None:
    obj: dict[str, Any] = {
        "type": "chain",
        "chain": [
            {"type": "group", "of": ["host"], "each": {"type": "average", "size": SIZE}},
            {"type": "group", "of": ["site"], "each": {"type": "max", "size": SIZE}},
            {"type": "topk", "k": 2},
        ],
    }
    parts = split(_resolved(obj))
    node = parts.node.to_json()
    reducer = parts.reducer.to_json()
    assert [s["each"]["type"] for s in node["chain"]] == ["average", "spread"]
    assert [s["type"] for s in reducer["chain"]] == ["group", "topk"]
    assert reducer["chain"][0]["each"]["type"] == "max"
    assert _canonical(_distributed_answer(obj)) == _canonical(
        _resolved(obj).apply([row for shard in _shards() for row in shard], RANGE, "end")
    )


def test_resolved_aggregations_survive_the_wire() -> None:
    for obj in DISTRIBUTABLE + NOT_DISTRIBUTABLE:
        resolved = _resolved(obj)
        assert parse_aggregation(resolved.to_json()).to_json() == resolved.to_json()


def test_unknown_collection_types_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="'groups'"):
        collection_from_json("groups", [])
