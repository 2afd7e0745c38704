"""The node protocol's messages: shard answers of metadata operations decode and reduce with
upstream's rules; a malformed answer is refused naming the operation; a plan survives the
wire."""

from __future__ import annotations

from typing import Any

import pytest

from heroic_api.cluster.metadata_wire import Limits, decode_answer, reduce_answers
from heroic_api.cluster.query_wire import NodeQueryRequest, plan_from_request, query_request
from heroic_api.services.query import QueryEngine
from heroic_api.services.query_request import query_from_json
from heroic_api.settings import ApiSettings
from heroic_core.backends.factory import build_backends
from heroic_core.config import HeroicConfig


def _series(*hosts: str, limited: bool = False) -> dict[str, Any]:
    found = [{"key": "k", "tags": {"host": h}, "resource": {}} for h in hosts]
    return {"errors": [], "series": found, "limited": limited}


def test_series_answers_reduce_to_the_sorted_union_cut_at_the_limit() -> None:
    answers = [decode_answer("series", _series("b", "a")), decode_answer("series", _series("c"))]
    reduced = reduce_answers("series", answers, Limits(2))
    assert [s["tags"]["host"] for s in reduced["series"]] == ["a", "b"]
    assert reduced["limited"] is True
    assert reduce_answers("series", answers, Limits(3))["limited"] is False


def test_a_limited_shard_makes_the_answer_limited() -> None:
    answers = [decode_answer("series", _series("a", limited=True))]
    assert reduce_answers("series", answers, Limits(50))["limited"] is True


def test_tag_suggestions_keep_the_best_score_per_pair() -> None:
    def answer(score: float) -> dict[str, Any]:
        return {"errors": [], "suggestions": [{"score": score, "key": "k", "value": "v"}]}

    answers = [decode_answer("tag-suggest", answer(s)) for s in (1.0, 3.0)]
    assert reduce_answers("tag-suggest", answers, Limits(10))["suggestions"] == [
        {"score": 3.0, "key": "k", "value": "v"}
    ]


def test_deletions_add_up() -> None:
    answers = [
        decode_answer("delete-series", {"errors": [], "deleted": n, "failed": 0}) for n in (2, 3)
    ]
    assert reduce_answers("delete-series", answers, Limits(None)) == {"deleted": 5, "failed": 0}


def test_a_malformed_answer_is_refused_naming_the_operation() -> None:
    with pytest.raises(ValueError, match="/metadata/series-count"):
        decode_answer("series-count", {"errors": [], "total": 3})


def test_a_plan_survives_the_wire() -> None:
    body = {
        "range": {"type": "absolute", "start": 0, "end": 3_600_000},
        "filter": ["and", ["key", "cpu"], ["=", "site", "lon"]],
        "aggregation": {"type": "group", "of": ["host"], "each": {"type": "average"}},
        "options": {"seriesLimit": 7, "bucketStrategy": "start"},
    }
    query = query_from_json(body, now=10_000_000)
    engine = QueryEngine(ApiSettings(), build_backends(HeroicConfig.default()))
    plan = engine.plan(query, None, 10_000_000)
    wire = query_request(plan, query.filter, "g", node_part=plan.aggregation, raw=False)
    decoded_query, decoded = plan_from_request(NodeQueryRequest.model_validate(wire))
    assert decoded_query.filter == query.filter
    assert (decoded.range, decoded.strategy, decoded.series_limit) == (plan.range, "start", 7)
    assert decoded.aggregation.to_json() == plan.aggregation.to_json()
    assert decoded.cadence == plan.cadence
    assert decoded.features == plan.features
