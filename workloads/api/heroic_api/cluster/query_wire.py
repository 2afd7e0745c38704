"""The node protocol's query messages: a query planned by the federating node, and one shard's
answer to it.

The federating node plans once (range at its ``now``, default sizes, features, shifted range,
bucket strategy, limits) and sends the plan, so every shard evaluates the same thing. A shard
answers with its result groups as the public API shapes them plus each group's series summary
(for ``commonTags``), or, for a distributed aggregation (``raw``), with each group's key,
series and samples for the federating node to reduce. Encoding and decoding only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from heroic_api.services import features as feat
from heroic_api.services.query import Plan, ShardResult
from heroic_api.services.query_request import MetricsQuery
from heroic_api.services.results import SeriesSummary
from heroic_core.aggregations import check_buckets, parse_aggregation
from heroic_core.aggregations.data import Chunk
from heroic_core.aggregations.wire import collection_from_json
from heroic_core.errors import RequestError
from heroic_core.filters import Filter
from heroic_core.hql import parse_filter_json
from heroic_core.model import DateRange, MetricType, Series


class _Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class WireRange(_Wire):
    start: int
    end: int


class NodeQueryRequest(_Wire):
    """``POST /internal/v1/query``."""

    source: str
    filter: Any
    range: WireRange
    aggregation: dict[str, Any]
    strategy: Literal["start", "end"]
    features: list[str]
    series_limit: int | None = None
    group_limit: int | None = None
    data_limit: int | None = None
    aggregation_limit: int | None = None
    fail_on_limits: bool = False
    group: str | None = None
    #: Send keys, series and samples (a distributed aggregation's partial groups).
    raw: bool = False


def query_request(
    plan: Plan, filter_: Filter, group: str | None, *, node_part: Any, raw: bool
) -> dict[str, Any]:
    """The request for ``plan`` with ``node_part`` as the aggregation the shard runs."""
    return NodeQueryRequest(
        source=plan.source.value,
        filter=filter_.to_json(),
        range=WireRange(start=plan.range.start, end=plan.range.end),
        aggregation=node_part.to_json(),
        strategy=plan.strategy,
        # Checked by the federating node, on the whole aggregation, not on the node part.
        features=sorted(plan.features.enabled - {feat.DETERMINISTIC_AGGREGATIONS}),
        series_limit=plan.series_limit,
        # Partial groups are not the answer's groups: the limit applies after reducing.
        group_limit=None if raw else plan.group_limit,
        data_limit=plan.data_limit,
        aggregation_limit=plan.aggregation_limit,
        fail_on_limits=plan.fail_on_limits,
        group=group,
        raw=raw,
    ).model_dump(mode="json", by_alias=True)


def plan_from_request(request: NodeQueryRequest) -> tuple[MetricsQuery, Plan]:
    """The query and plan a shard runs; bad parts are ``RequestError``s naming them."""
    aggregation = parse_aggregation(request.aggregation, "aggregation")
    range_ = DateRange(request.range.start, request.range.end)
    try:
        source = MetricType(request.source)
    except ValueError:
        raise RequestError(f"unknown source {request.source!r}") from None
    query = MetricsQuery(range=None, filter=parse_filter_json(request.filter, "filter"),
                         aggregation=aggregation, source=source)  # fmt: skip
    plan = Plan(
        range=range_,
        aggregation=aggregation,
        cadence=aggregation.cadence(),
        strategy=request.strategy,
        features=feat.Features(frozenset()).apply(request.features),
        series_limit=request.series_limit,
        group_limit=request.group_limit,
        data_limit=request.data_limit,
        aggregation_limit=request.aggregation_limit,
        fail_on_limits=request.fail_on_limits,
        tracing="NONE",
        creation_retention=check_buckets(aggregation, range_, request.strategy),
        source=source,
    )
    return query, plan


def _summary_json(summary: SeriesSummary) -> dict[str, Any]:
    return {
        "keys": sorted(summary.keys),
        "tags": {k: sorted(v) for k, v in summary.tags.items()},
        "resource": {k: sorted(v) for k, v in summary.resource.items()},
    }


def shard_answer(result: ShardResult, *, raw: bool) -> dict[str, Any]:
    """A shard's answer: its groups (raw: with keys and series) and what it counted."""
    if raw:
        groups = [
            {"type": json["type"], "values": json["values"], "key": g.key,
             "series": [s.to_json() for s in g.series]}
            for g, json in zip(result.raw_groups, result.groups, strict=True)
        ]  # fmt: skip
        summaries = []
    else:
        groups, summaries = result.groups, [_summary_json(s) for s in result.summaries]
    return {
        "groups": groups,
        "summaries": summaries,
        "errors": result.errors,
        "limits": sorted(result.limits),
        "sampleSize": result.sample_size,
        "seriesFetched": result.series_fetched,
        "pointsFetched": result.points_fetched,
    }


@dataclass(slots=True)
class ShardAnswer:
    """A decoded shard answer, as the federating node combines it."""

    groups: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[SeriesSummary] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    limits: set[str] = field(default_factory=set)
    sample_size: int = 0
    series_fetched: int = 0
    points_fetched: int = 0


def _summary(obj: dict[str, Any]) -> SeriesSummary:
    return SeriesSummary(
        keys=set(obj["keys"]),
        tags={k: set(v) for k, v in obj["tags"].items()},
        resource={k: set(v) for k, v in obj["resource"].items()},
    )


def _chunk(obj: dict[str, Any]) -> Chunk:
    series = tuple(Series.from_json(s) for s in obj["series"])
    return Chunk(dict(obj["key"]), series, collection_from_json(obj["type"], obj["values"]))


def decode_shard_answer(obj: Any, *, raw: bool) -> ShardAnswer:
    """Decode a shard's answer; ``ValueError`` when it does not have the protocol's shape."""
    try:
        answer = ShardAnswer(
            errors=list(obj["errors"]),
            limits=set(obj["limits"]),
            sample_size=int(obj["sampleSize"]),
            series_fetched=int(obj["seriesFetched"]),
            points_fetched=int(obj["pointsFetched"]),
        )
        if raw:
            answer.chunks = [_chunk(g) for g in obj["groups"]]
        else:
            answer.groups = list(obj["groups"])
            answer.summaries = [_summary(s) for s in obj["summaries"]]
    except (TypeError, KeyError, AttributeError) as exc:
        raise ValueError(f"malformed shard answer: {exc!r}") from None
    if not raw and len(answer.groups) != len(answer.summaries):
        raise ValueError("malformed shard answer: groups and summaries differ in number")
    return answer
