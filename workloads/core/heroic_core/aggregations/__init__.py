"""Heroic aggregations (reference section 6): JSON decoding, resolution and evaluation.

Typical use by the query engine::

    agg = aggregation_or_empty(parse_aggregation(body.get("aggregation"), "aggregation"))
    agg = agg.with_default_size(cadence_from_range(raw_range))
    range_ = shift(raw_range, agg.cadence())            # reference 3 step 5 (caller's job)
    check_buckets(agg, range_, strategy)                # "range …, size …" before fetching
    result = agg.apply(fetched_rows, range_, strategy)  # -> AggregationResult

This package must not fetch data or know about HTTP.
"""

from heroic_core.aggregations.base import (
    Aggregation,
    AggregationResult,
    ResultGroup,
    cadence_from_range,
    input_key,
)
from heroic_core.aggregations.buckets import MAX_BUCKET_COUNT, bucket_count, make_layout
from heroic_core.aggregations.durations import Duration, parse_duration
from heroic_core.aggregations.grouping import (
    Chain,
    Collapse,
    Empty,
    Group,
    Options,
    aggregation_or_empty,
)
from heroic_core.aggregations.parse import (
    AGGREGATION_TYPES,
    parse_aggregation,
    parse_aggregation_list,
)
from heroic_core.model import DateRange


def check_buckets(aggregation: Aggregation, range_: DateRange, bucket_strategy: str = "end") -> int:
    """Validate every bucket layout in the tree for ``range_`` and return the number of buckets
    upstream retains when the query's session is created (its ``aggregationLimit`` check).

    Raises ``RequestError("range <range>, size <s>")`` when a sampling aggregation would
    have fewer than 1 or more than 100000 buckets.
    """
    resolved = aggregation.with_default_size(cadence_from_range(range_))
    resolved._check(range_, bucket_strategy)
    return resolved._creation_retention(range_, bucket_strategy)


__all__ = [
    "AGGREGATION_TYPES",
    "MAX_BUCKET_COUNT",
    "Aggregation",
    "AggregationResult",
    "Chain",
    "Collapse",
    "Duration",
    "Empty",
    "Group",
    "Options",
    "ResultGroup",
    "aggregation_or_empty",
    "bucket_count",
    "cadence_from_range",
    "check_buckets",
    "input_key",
    "make_layout",
    "parse_aggregation",
    "parse_aggregation_list",
    "parse_duration",
]
