"""Distributed aggregations (feature ``com.spotify.heroic.distributed_aggregations``, reference
3 step 4 and 6.3): the part of a resolved aggregation that data nodes run, and the reducer the
API node runs over their outputs.

Per upstream, ``sum``, ``sum2``, ``count`` and ``spread`` run unchanged on the data nodes;
``average``, ``min``, ``max`` (and here ``stddev``) run as ``spread``, which keeps what the
reducer needs to recombine them; ``count`` is reduced by ``sum``. ``group`` and ``collapse``
distribute when what they wrap does. In a chain the steps up to the first one that does not
distribute run on the data nodes (the last of them in its distributed form) and the rest on the
API node; a chain (or a lone step) that cannot distribute at all makes the data nodes send raw
data. Non-distributable: ``delta``, ``deltaPerSecond``, ``notNegative``, the ``k`` filters,
``pointsabove``/``pointsbelow``, ``ratePerSecond``, ``quantile``, ``cardinality``,
``group-unique``, ``tdigest`` and ``tpl``.

Differences from upstream, on purpose: ``sum2`` is reduced by ``sum`` (upstream squares the
partial sums again), ``stddev`` distributes as ``spread`` (upstream reduced standard deviations
by taking theirs), and a reducer's extent is its size, so a node's bucket lands in exactly one
bucket of the reducer (with a larger extent upstream's reducer counted it in several).

Pure functions over aggregation trees and chunks; nothing here talks to a node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from heroic_core.aggregations.base import Aggregation, AggregationResult, Env, ResultGroup
from heroic_core.aggregations.buckets import check_strategy
from heroic_core.aggregations.data import Chunk
from heroic_core.aggregations.grouping import Chain, Collapse, Empty, Group
from heroic_core.aggregations.sampling import (
    Average,
    Count,
    Max,
    Min,
    SamplingAggregation,
    Spread,
    StdDev,
    Sum,
    Sum2,
)
from heroic_core.model import DateRange

_Make = Callable[[SamplingAggregation], SamplingAggregation]


def _as(kind: type[SamplingAggregation]) -> _Make:
    return lambda step: kind(size=step.size, extent=step.extent)


def _reduced_by(kind: type[SamplingAggregation]) -> _Make:
    # The reducer's buckets take each node bucket whole: extent = size.
    return lambda step: kind(size=step.size, extent=step.size)


#: type -> (what the data nodes run, what the API node reduces their outputs with)
_BUCKETS: dict[type[SamplingAggregation], tuple[_Make, _Make]] = {
    Sum: (_as(Sum), _reduced_by(Sum)),
    Sum2: (_as(Sum2), _reduced_by(Sum)),
    Count: (_as(Count), _reduced_by(Sum)),
    Spread: (_as(Spread), _reduced_by(Spread)),
    Average: (_as(Spread), _reduced_by(Average)),
    Min: (_as(Spread), _reduced_by(Min)),
    Max: (_as(Spread), _reduced_by(Max)),
    StdDev: (_as(Spread), _reduced_by(StdDev)),
}


@dataclass(frozen=True, slots=True)
class Split:
    """``node`` runs on every data node, ``reducer`` on the API node over all their outputs.

    ``distributed`` is false when nothing could be pushed down: the nodes then send raw data
    (``node`` is ``empty``) and ``reducer`` is the whole aggregation."""

    node: Aggregation
    reducer: Aggregation
    distributed: bool


def _raw(aggregation: Aggregation) -> Split:
    return Split(Empty(), aggregation, distributed=False)


def split(aggregation: Aggregation) -> Split:  # noqa: PLR0911 - one return per kind of step
    """Split a *resolved* aggregation (``with_default_size`` applied) for distribution."""
    if isinstance(aggregation, Empty):
        return Split(aggregation, aggregation, distributed=True)
    if isinstance(aggregation, SamplingAggregation):
        makers = _BUCKETS.get(type(aggregation))
        if makers is None:
            return _raw(aggregation)
        node, reducer = makers
        return Split(node(aggregation), reducer(aggregation), distributed=True)
    if isinstance(aggregation, Group | Collapse):
        inner = split(aggregation.each if aggregation.each is not None else Empty())
        if not inner.distributed:
            return _raw(aggregation)
        return Split(
            replace(aggregation, each=inner.node),
            replace(aggregation, each=inner.reducer),
            distributed=True,
        )
    if isinstance(aggregation, Chain):
        return _split_chain(aggregation.chain)
    return _raw(aggregation)


def _split_chain(steps: Sequence[Aggregation]) -> Split:
    parts = [split(step) for step in steps]
    stop = next((i for i, part in enumerate(parts) if not part.distributed), len(steps))
    if stop == 0:
        return _raw(Chain(tuple(steps)))
    # Upstream: the steps before the last distributable one run whole on each node (their
    # groups are taken to live in one shard), the last one in its distributed form.
    node = _chain((*steps[: stop - 1], parts[stop - 1].node))
    reducer = _chain((parts[stop - 1].reducer, *steps[stop:]))
    return Split(node, reducer, distributed=True)


def _chain(steps: Sequence[Aggregation]) -> Aggregation:
    return steps[0] if len(steps) == 1 else Chain(tuple(steps))


def reduce_chunks(
    reducer: Aggregation, chunks: Sequence[Chunk], range_: DateRange, bucket_strategy: str
) -> AggregationResult:
    """Run ``reducer`` over the groups the data nodes sent (as chunks keyed by their group
    keys); ``sample_size`` is left to the caller (the nodes counted the raw samples)."""
    check_strategy(bucket_strategy)
    if not chunks:
        return AggregationResult([], None, 0)
    env = Env(range_, bucket_strategy)
    outputs = reducer._evaluate(list(chunks), env)
    groups = [ResultGroup(c.key, list(c.series), c.data.metric_type, c.data) for c in outputs]
    return AggregationResult(groups, None, env.retained)
