"""``tdigest``: merges the t-digest sketches of distribution points per bucket.

Upstream's ``TdigestInstance`` (reference 6.1): a bucket aggregation over distribution points
(and already merged ``tdigestPoints``) whose buckets merge every sketch they see; an empty
bucket yields no sample. ``percentile_groups`` is upstream's ``TDigestAggregationCombiner``:
each ``tdigestPoints`` result group becomes three point groups, P99, P50 and P75 of every
bucket's sketch, whose series carry the tag ``tdigeststat`` with the percentile's name.

A payload that is not a t-digest is skipped with a warning (upstream would fail the whole
query on it); the rest of the bucket still counts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from heroic_core import tdigest
from heroic_core.aggregations.base import Aggregation, ResultGroup
from heroic_core.aggregations.buckets import Layout
from heroic_core.aggregations.data import (
    Chunk,
    Collection,
    DistributionsData,
    Ints,
    PointsData,
    TdigestData,
)
from heroic_core.aggregations.grouping import Chain, Options, _Grouping
from heroic_core.aggregations.sampling import SamplingAggregation
from heroic_core.model import MetricType, Series

log = logging.getLogger(__name__)

#: Upstream's ``ComputeDistributionStat.Percentile.DEFAULT``, in its order.
PERCENTILES = (("P99", 0.99), ("P50", 0.50), ("P75", 0.75))
STAT_TAG = "tdigeststat"


@dataclass(frozen=True)
class Tdigest(SamplingAggregation):
    """One merged sketch per bucket of the distribution points fed to it."""

    type_name = "tdigest"
    inputs = frozenset({MetricType.DISTRIBUTION_POINTS, MetricType.TDIGEST_POINTS})

    def _reduce(self, layout: Layout, chunks: Sequence[Chunk]) -> tuple[Collection, int]:
        stamps, digests = _sketches(chunks)
        if not digests:
            return TdigestData(np.empty(0, dtype=np.int64), ()), 0
        buckets, members = layout.pairs(stamps)
        bounds = np.flatnonzero(np.diff(buckets)) + 1
        out_ts: list[int] = []
        out: list[tdigest.TDigest] = []
        bucket_ts = layout.timestamps()
        for run in np.split(np.arange(buckets.shape[0]), bounds):
            if run.shape[0] == 0:
                continue
            merged = tdigest.merge([digests[i] for i in members[run].tolist()])
            if len(merged):
                out_ts.append(int(bucket_ts[buckets[run[0]]]))
                out.append(merged)
        return TdigestData(np.asarray(out_ts, dtype=np.int64), tuple(out)), len(digests)


def reads_distributions(aggregation: Aggregation) -> bool:
    """True when the query's first bucket step is ``tdigest`` (directly, per group, inside
    options or first in a chain): upstream then fetches distribution points, not points."""
    if isinstance(aggregation, Tdigest):
        return True
    if isinstance(aggregation, _Grouping | Options):
        inner = aggregation.each if isinstance(aggregation, _Grouping) else aggregation.aggregation
        return inner is not None and reads_distributions(inner)
    if isinstance(aggregation, Chain):
        return bool(aggregation.chain) and reads_distributions(aggregation.chain[0])
    return False


def _sketches(chunks: Sequence[Chunk]) -> tuple[Ints, list[tdigest.TDigest]]:
    """Every decodable sketch of the chunks, in feed order, with its timestamp."""
    stamps: list[int] = []
    digests: list[tdigest.TDigest] = []
    skipped = 0
    for chunk in chunks:
        data = chunk.data
        if isinstance(data, TdigestData):
            stamps.extend(data.ts.tolist())
            digests.extend(data.digests)
        elif isinstance(data, DistributionsData):
            for ts, payload in zip(data.ts.tolist(), data.payloads, strict=True):
                try:
                    digests.append(tdigest.decode(payload))
                except tdigest.DigestError:
                    skipped += 1
                    continue
                stamps.append(ts)
    if skipped:
        log.warning("tdigest: skipped %d distribution points that are not t-digests", skipped)
    return np.asarray(stamps, dtype=np.int64), digests


def percentile_groups(groups: Sequence[ResultGroup]) -> list[ResultGroup]:
    """Replace every ``tdigestPoints`` group by its P99, P50 and P75 point groups."""
    out: list[ResultGroup] = []
    for group in groups:
        data = group.collection
        if not isinstance(data, TdigestData):
            out.append(group)
            continue
        for name, q in PERCENTILES:
            values = np.asarray([tdigest.quantile(d, q) for d in data.digests], dtype=np.float64)
            series = [_tagged(s, name) for s in group.series]
            out.append(
                ResultGroup(group.key, series, MetricType.POINTS, PointsData(data.ts, values))
            )
    return out


def _tagged(series: Series, percentile: str) -> Series:
    return Series(series.key, {**series.tags, STAT_TAG: percentile}, series.resource)
