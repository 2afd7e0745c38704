"""A planned query on every shard, combined into one shard result (upstream's
``CoreQueryManager`` fan-out with its ``AggregationCombiner``s).

Without ``distributed_aggregations`` each shard runs the whole aggregation and its result
groups are concatenated, each carrying the ``shard`` tags of the node that computed it. With
it, each shard runs the node part of the aggregation (``heroic_core.aggregations.distributed``)
and sends keys, series and partial samples; the reducer then runs here over all of them, and
the groups carry an empty ``shard`` (they span shards), as upstream's. Either way ``groupLimit``
applies to the combined groups, limits and counts add up, and a failed shard is a ``shard``
error while the others answer. The ``QueryEngine`` calls this through its ``shards`` hook.
"""

from __future__ import annotations

from typing import Any

from heroic_api.cluster.fanout import FanOut, ShardOutcome
from heroic_api.cluster.nodes import ClusterNode
from heroic_api.cluster.query_wire import ShardAnswer, decode_shard_answer, query_request
from heroic_api.offload import off_loop
from heroic_api.services import features as feat
from heroic_api.services.query import Plan, ShardResult
from heroic_api.services.query_request import MetricsQuery
from heroic_api.services.results import SeriesSummary, result_group
from heroic_core.aggregations.data import Chunk
from heroic_core.aggregations.distributed import Split, reduce_chunks, split
from heroic_core.aggregations.distributions import percentile_groups

DETERMINISTIC = "Aggregation can not be evaluated with deterministic resources"


class FederatedQueries:
    """Runs planned queries across the shards ``fanout`` reaches."""

    def __init__(self, fanout: FanOut) -> None:
        self.fanout = fanout

    async def run(self, query: MetricsQuery, plan: Plan, group: str | None) -> ShardResult:
        if plan.features.has(feat.DETERMINISTIC_AGGREGATIONS) and (
            plan.aggregation.estimate(plan.range) < 0
        ):
            return ShardResult().fail(DETERMINISTIC)
        parts = (
            split(plan.aggregation) if plan.features.has(feat.DISTRIBUTED_AGGREGATIONS) else None
        )
        raw = parts is not None
        node_part = parts.node if parts is not None else plan.aggregation
        request = query_request(plan, query.filter, group, node_part=node_part, raw=raw)

        async def ask(node: ClusterNode) -> ShardAnswer:
            return decode_shard_answer(await node.query(request), raw=raw)

        outcomes = await self.fanout.all_shards(ask)
        if parts is None:
            return _concatenated(plan, outcomes)
        return await off_loop(_reduced, plan, parts, outcomes)


def _counted(outcomes: list[ShardOutcome[ShardAnswer]]) -> ShardResult:
    """Errors, limits and counts of every shard; groups are the caller's."""
    result = ShardResult()
    for outcome in outcomes:
        if outcome.failure is not None:
            result.errors.append(outcome.failure.to_error())
            continue
        answer = outcome.answer
        assert answer is not None  # noqa: S101 - an outcome has an answer or a failure
        result.errors.extend(answer.errors)
        result.limits.update(answer.limits)
        result.sample_size += answer.sample_size
        result.series_fetched += answer.series_fetched
        result.points_fetched += answer.points_fetched
    return result


def _limit_groups(plan: Plan, result: ShardResult) -> ShardResult:
    limit = plan.group_limit
    if limit is not None and len(result.groups) > limit:
        result.groups, result.summaries = result.groups[:limit], result.summaries[:limit]
        result.limits.add("GROUP")
    return result


def _concatenated(plan: Plan, outcomes: list[ShardOutcome[ShardAnswer]]) -> ShardResult:
    result = _counted(outcomes)
    for outcome in outcomes:
        if outcome.answer is not None:
            result.groups.extend(outcome.answer.groups)
            result.summaries.extend(outcome.answer.summaries)
    return _limit_groups(plan, result)


def _reduced(plan: Plan, parts: Split, outcomes: list[ShardOutcome[ShardAnswer]]) -> ShardResult:
    result = _counted(outcomes)
    chunks: list[Chunk] = [c for o in outcomes if o.answer is not None for c in o.answer.chunks]
    reduced = reduce_chunks(parts.reducer, chunks, plan.range, plan.strategy)
    no_shard: dict[str, str] = {}
    for g in percentile_groups(reduced.groups):
        summary = SeriesSummary.of(g.series)
        result.summaries.append(summary)
        result.groups.append(_group_json(plan, no_shard, g.key, summary, g))
    return _limit_groups(plan, result)


def _group_json(
    plan: Plan, shard: dict[str, str], key: dict[str, str], summary: SeriesSummary, g: Any
) -> dict[str, Any]:
    return result_group(
        shard=shard,
        key=key,
        summary=summary,
        metric_type=g.metric_type.value,
        cadence=plan.cadence,
        values=g.data,
    )
