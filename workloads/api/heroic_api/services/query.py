"""The query engine of ``POST /query/metrics`` (reference 3), on this node's backends.

Plan (range at ``now``, default cadence, features, ``shift_range``, bucket strategy, limits),
then run the local shard (find series, fetch, aggregate, apply limits) and shape upstream's
``QueryMetricsResponse`` (reference 2.6). Bad queries raise domain errors (400 at the HTTP
edge); limit violations and fetch failures are result-level ``errors`` in a 200 response, as
upstream reports them. This module must not import FastAPI.

Sources: ``points``, and ``distributionPoints`` (from the metric backends that store them),
which is also the source whenever the first bucket step is ``tdigest``, as upstream decides;
``tdigest`` results leave as P99/P50/P75 point groups (upstream's tdigest combiner).

Answers may come from the result cache (``services.cache``), and every query may be logged
(``services.query_log``), the batch endpoint's too.

Differences from upstream, on purpose: "Range must be present", "start is greater than now",
impossible bucket layouts and unsupported sources are 400s instead of 500s; ``groupLimit``
truncates only when there are *more* groups than the limit (the data-node rule).

Load: a query projected to read more than ``smallQueryThreshold`` points waits for a
large-query slot (``services.admission``); aggregation and shaping of the result run on a
worker thread (``offload``), so the event loop keeps answering other requests and probes.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from opentelemetry.trace import NoOpTracer, Tracer

from heroic_api.offload import is_small, off_loop
from heroic_api.schemas import QueryOptionsBody
from heroic_api.services import features as feat
from heroic_api.services.admission import QueryAdmission, Ticket
from heroic_api.services.cache import CacheTicket, QueryCache, answer_from_cache
from heroic_api.services.conditions import conditional_features
from heroic_api.services.fetch import FetchOutcome, fetch_all, find_series
from heroic_api.services.query_log import QueryLog, QueryLogEntry
from heroic_api.services.query_request import MetricsQuery
from heroic_api.services.ranges import default_cadence, shift_range
from heroic_api.services.results import (
    GroupHasher,
    SeriesSummary,
    common_of,
    one_series_group,
    result_group,
)
from heroic_api.settings import ApiSettings
from heroic_api.tracing.spans import child_span, query_span
from heroic_core.aggregations import Aggregation, ResultGroup, check_buckets
from heroic_core.aggregations.distributions import percentile_groups, reads_distributions
from heroic_core.backends.base import DistributionStore
from heroic_core.backends.group import Backends
from heroic_core.errors import RequestError
from heroic_core.model import DateRange, MetricType

LIMIT_ORDER = ("SERIES", "GROUP", "QUOTA", "AGGREGATION")
READABLE_SOURCES = frozenset({MetricType.POINTS, MetricType.DISTRIBUTION_POINTS})
T = TypeVar("T")
#: Each metric type's name (an enum's ``value`` costs a descriptor call a group).
_TYPE_NAMES = {kind: kind.value for kind in MetricType}


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything decided before touching a backend."""

    range: DateRange
    aggregation: Aggregation
    cadence: int
    strategy: str
    features: feat.Features
    series_limit: int | None
    group_limit: int | None
    data_limit: int | None
    aggregation_limit: int | None
    fail_on_limits: bool
    tracing: str
    creation_retention: int
    source: MetricType


@dataclass(slots=True)
class ShardResult:
    """What the local shard contributes to the response."""

    groups: list[dict[str, Any]] = field(default_factory=list)
    summaries: list[SeriesSummary] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    limits: set[str] = field(default_factory=set)
    sample_size: int = 0
    series_fetched: int = 0
    points_fetched: int = 0
    #: The aggregation's groups before shaping (a peer reducing them needs keys and series).
    raw_groups: list[ResultGroup] = field(default_factory=list)

    def fail(self, message: str, *limits: str) -> ShardResult:
        """Drop every group and report ``message`` as a query error."""
        self.groups, self.summaries = [], []
        self.errors.append({"type": "query", "error": message})
        self.limits.update(limits)
        return self


#: Runs a planned query on every shard of a federation (``heroic_api.cluster``) instead of on
#: this node's backends alone.
ShardsRunner = Callable[[MetricsQuery, Plan, str | None], Awaitable[ShardResult]]
#: The shards a federated query spans now (part of its answer's cache key).
ShardsOf = Callable[[], list[dict[str, str]]]


def _tracing(options: QueryOptionsBody) -> str:
    if options.tracing is None:
        return "DEFAULT"
    if isinstance(options.tracing, bool):
        return "DETAILED" if options.tracing else "NONE"
    return options.tracing


class QueryEngine:
    """Runs decoded queries against one node's backends."""

    def __init__(
        self,
        settings: ApiSettings,
        backends: Backends,
        tracer: Tracer | None = None,
        cache: QueryCache | None = None,
        query_log: QueryLog | None = None,
        *,
        admission: QueryAdmission | None = None,
        shards: ShardsRunner | None = None,
        shards_of: ShardsOf | None = None,
    ) -> None:
        self.settings = settings
        self.backends = backends
        self.tracer = tracer if tracer is not None else NoOpTracer()
        self.cache = cache or QueryCache()
        self.query_log = query_log or QueryLog()
        self.admission = admission
        self.shards = shards
        self.shards_of = shards_of

    def plan(self, query: MetricsQuery, client_id: str | None, now: int) -> Plan:
        """Reference 3 steps 1-6; raises ``RequestError`` for impossible queries."""
        raw = query.range.evaluate(now) if query.range is not None else None
        if raw is None:
            raise RequestError("Range must be present")
        aggregation = query.aggregation.with_default_size(default_cadence(raw))
        features = self.settings.features.apply(
            conditional_features(self.settings.conditional_features, client_id)
        ).apply(query.features)
        cadence = aggregation.cadence()
        range_ = shift_range(raw, cadence, now) if features.has(feat.SHIFT_RANGE) else raw
        options, limits = query.options, self.settings.limits
        strategy = options.bucket_strategy or ("end" if features.has(feat.END_BUCKET) else "start")
        retention = check_buckets(aggregation, range_, strategy)
        source = query.source
        if reads_distributions(aggregation):
            source = MetricType.DISTRIBUTION_POINTS
        if source not in READABLE_SOURCES:
            raise RequestError(
                f"source {source.value!r} is not supported: only 'points' and "
                "'distributionPoints' are stored"
            )
        return Plan(
            range=range_,
            aggregation=aggregation,
            cadence=cadence,
            strategy=strategy,
            features=features,
            series_limit=_pick(options.series_limit, limits.series_limit),
            group_limit=_pick(options.group_limit, limits.group_limit),
            data_limit=_pick(options.data_limit, limits.data_limit),
            aggregation_limit=_pick(options.aggregation_limit, limits.aggregation_limit),
            fail_on_limits=_pick(options.fail_on_limits, limits.fail_on_limits),
            tracing=_tracing(options),
            creation_retention=retention,
            source=source,
        )

    async def query(
        self,
        query: MetricsQuery,
        *,
        now: int,
        group: str | None = None,
        client_id: str | None = None,
    ) -> dict[str, Any]:
        """Run ``query`` at ``now`` (the request's, which decoding used too) and return the
        ``QueryMetricsResponse`` JSON."""
        with self.query_log.entry(query, client_id) as log:
            return await self._answer(query, now, group, client_id, log)

    async def _answer(
        self,
        query: MetricsQuery,
        now: int,
        group: str | None,
        client_id: str | None,
        log: QueryLogEntry,
    ) -> dict[str, Any]:
        # The response's trace is the tree of these spans (heroic_api.tracing.spans).
        wants_tree = _tracing(query.options) != "NONE"
        shard: ShardResult | None = None
        with query_span(self.tracer, "coreQueryManager.query", tree=wants_tree) as tree:
            plan = self.plan(query, client_id, now)
            spans = None if self.shards is None or self.shards_of is None else self.shards_of()
            ticket = self.cache.ticket(
                plan, query, group, self.settings.shard, now, federation=spans
            )
            kept = await self.cache.get(ticket, now)
            if (ticket is None or kept is None) and self.shards is not None:
                shard = await self.shards(query, plan, group)
            elif ticket is None or kept is None:
                shard_name = self._shard_name()
                with child_span(
                    "coreQueryManager.shard",
                    key=shard_name,
                    attributes={"heroic.shard": shard_name},
                ):
                    shard = await self._admitted_shard(query, plan, group)
        traced = None if tree is None else tree.to_json()
        if shard is None and ticket is not None and kept is not None:  # a cache hit
            return log.answered(answer_from_cache(kept, ticket, traced))
        assert shard is not None  # noqa: S101 - computed when the cache did not answer
        answer = self._response(plan, shard, traced, ticket)
        await self.cache.put(ticket, answer, now)
        return log.answered(answer, series=shard.series_fetched, points=shard.points_fetched)

    def _shard_name(self) -> str:
        return "{" + ", ".join(f"{k}={v}" for k, v in sorted(self.settings.shard.items())) + "}"

    async def run_local_shard(
        self, query: MetricsQuery, plan: Plan, group: str | None
    ) -> ShardResult:
        """This node's part of a query planned elsewhere (a federating peer's request)."""
        return await self._admitted_shard(query, plan, group)

    async def _admitted_shard(
        self, query: MetricsQuery, plan: Plan, group: str | None
    ) -> ShardResult:
        if self.admission is None:
            return await self._run_shard(query, plan, group, None)
        async with self.admission.ticket() as ticket:
            return await self._run_shard(query, plan, group, ticket)

    async def _run_shard(
        self, query: MetricsQuery, plan: Plan, group: str | None, ticket: Ticket | None
    ) -> ShardResult:
        result = ShardResult()
        if plan.features.has(feat.DETERMINISTIC_AGGREGATIONS) and (
            plan.aggregation.estimate(plan.range) < 0
        ):
            return result.fail("Aggregation can not be evaluated with deterministic resources")
        metric_backends = self.backends.metrics.use(group)
        if group is not None and not metric_backends:
            raise RequestError(f"no metric backend belongs to group {group!r}")
        if plan.source is MetricType.DISTRIBUTION_POINTS:
            metric_backends = tuple(b for b in metric_backends if isinstance(b, DistributionStore))
            if not metric_backends:
                raise RequestError(
                    "source 'distributionPoints' is not supported by the metric backends of "
                    "this node (only bigtable and memory store distribution points)"
                )
        lookup = await find_series(
            self.backends.metadata.use(None), query.filter, plan.range, plan.series_limit
        )
        if lookup.limited:
            if plan.fail_on_limits:
                return result.fail(
                    "The number of series requested is more than the allowed limit of "
                    f"[{plan.series_limit}]",
                    "SERIES",
                )
            result.limits.add("SERIES")
        if not lookup.series:
            return result
        limit = plan.aggregation_limit
        if limit is not None and plan.creation_retention >= limit:
            return result.fail(
                f"aggregation needs to retain more data then what is allowed: {limit}",
                "AGGREGATION",
            )
        outcome = await fetch_all(
            metric_backends,
            lookup.series,
            plan.range,
            data_limit=plan.data_limit,
            parallelism=self.settings.limits.fetch_parallelism,
            source=plan.source,
            gate=ticket,
        )
        if ticket is not None:
            ticket.check()
        result.series_fetched, result.points_fetched = len(lookup.series), outcome.read
        with child_span("localMetricsManager.aggregate"):
            # CPU-bound (numpy, then a Python list per group): off the event loop unless small.
            if is_small(outcome.read, len(lookup.series)):
                return self._aggregate(plan, outcome, result)
            return await off_loop(self._aggregate, plan, outcome, result)

    def _aggregate(self, plan: Plan, outcome: FetchOutcome, result: ShardResult) -> ShardResult:
        if outcome.quota_violated:
            return result.fail(outcome.issues() or "Query exceeded quota", "QUOTA")
        issues = outcome.issues()
        if issues is not None:
            result.errors.append(self._shard_error(issues, outcome.causes))
            return result
        aggregated = plan.aggregation.apply(outcome.rows, plan.range, plan.strategy)
        if plan.aggregation_limit is not None and aggregated.retained >= plan.aggregation_limit:
            return result.fail("Query exceeded quota", "AGGREGATION")
        groups = aggregated.groups
        if plan.group_limit is not None and len(groups) > plan.group_limit:
            if plan.fail_on_limits:
                return result.fail(
                    "The number of result groups is more than the allowed limit of "
                    f"[{plan.group_limit}]",
                    "GROUP",
                )
            groups = groups[: plan.group_limit]
            result.limits.add("GROUP")
        self._add_groups(plan, percentile_groups(groups), result)
        result.sample_size = (
            aggregated.sample_size
            if aggregated.sample_size is not None
            else sum(len(g.data) for g in groups)
        )
        return result

    def _shard_error(self, issues: str, causes: list[BaseException]) -> dict[str, Any]:
        """Upstream's shard error: ``"<msg>, caused by <cause>"``."""
        described = "; ".join(str(c) or type(c).__name__ for c in causes[:3])
        error = f"{issues}, caused by {described}" if described else issues
        return {
            "type": "shard",
            "nodes": ["local"],
            "shard": dict(self.settings.shard),
            "error": error,
        }

    def _add_groups(self, plan: Plan, groups: list[ResultGroup], result: ShardResult) -> None:
        result.raw_groups.extend(groups)
        shard, cadence = self.settings.shard, plan.cadence
        hasher = GroupHasher(shard)
        summaries, shaped = result.summaries, result.groups
        for g in groups:
            if len(g.series) == 1:  # the usual group
                one = g.series[0]
                summaries.append(SeriesSummary(one=one))
                shaped.append(
                    one_series_group(
                        hasher,
                        shard,
                        g.key,
                        one,
                        metric_type=_TYPE_NAMES[g.metric_type],
                        cadence=cadence,
                        values=g.data,
                    )
                )
                continue
            summary = SeriesSummary.of(g.series)
            summaries.append(summary)
            shaped.append(
                result_group(
                    shard=shard,
                    key=g.key,
                    summary=summary,
                    metric_type=g.metric_type.value,
                    cadence=cadence,
                    values=g.data,
                    hasher=hasher,
                )
            )

    def _response(
        self,
        plan: Plan,
        shard: ShardResult,
        trace: dict[str, Any] | None,
        ticket: CacheTicket | None,
    ) -> dict[str, Any]:
        return {
            "queryId": str(uuid.uuid4()),
            "range": plan.range.to_json(),
            "trace": None if plan.tracing == "NONE" else trace,
            "limits": [name for name in LIMIT_ORDER if name in shard.limits],
            "cached": False,
            "cache": None if ticket is None else ticket.info(cached=False),
            "commonTags": common_of(shard.summaries, resource=False),
            "commonResource": common_of(shard.summaries, resource=True),
            "result": shard.groups,
            "preAggregationSampleSize": shard.sample_size,
            "errors": shard.errors,
        }


def _pick(value: T | None, default: T) -> T:
    return default if value is None else value
