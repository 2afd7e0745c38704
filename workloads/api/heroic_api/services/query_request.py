"""Decode a query — JSON "QueryMetrics" or plain HQL text — into a ``MetricsQuery``.

Reference 2.6: with ``query`` (HQL) present, HQL defines filter/aggregation/source/range and the
JSON ``filter``, ``aggregation``, ``key`` and ``tags`` are ignored; JSON ``range``/``options``
apply only when HQL had none; ``features`` always apply. Legacy ``key``/``tags`` are ANDed into
the filter and legacy ``aggregators`` become a chain. HQL yields the same objects the JSON
decoders do (``heroic_core.hql``), checked by the same functions. Every decoding error names its
JSON path (or HQL position). This module decodes only; it must not evaluate ranges or touch
backends.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from heroic_api.body import TextBody
from heroic_api.schemas import QueryBatchBody, QueryMetricsBody, QueryOptionsBody, parse_model
from heroic_core.aggregations import (
    Aggregation,
    Empty,
    parse_aggregation,
    parse_aggregation_list,
)
from heroic_core.errors import JsonMappingError, join_path
from heroic_core.filters import TRUE as TRUE_FILTER
from heroic_core.filters import And, Filter, MatchKey, MatchTag, optimize
from heroic_core.hql import ParsedQuery, parse_filter_json, parse_query
from heroic_core.model import MetricType
from heroic_core.ranges import QueryDateRange, decode_date_range


@dataclass(frozen=True, slots=True)
class MetricsQuery:
    """A decoded query; ``range`` is ``None`` when absent (the engine reports it)."""

    range: QueryDateRange | None
    filter: Filter
    aggregation: Aggregation
    source: MetricType = MetricType.POINTS
    options: QueryOptionsBody = field(default_factory=QueryOptionsBody)
    features: tuple[str, ...] = ()
    #: The request's ``clientContext``: any JSON, for the query log only.
    client_context: Any = None


def source_type(value: str | None, path: str) -> MetricType:
    """The ``source`` field's metric type (points when absent)."""
    if value is None:
        return MetricType.POINTS
    try:
        return MetricType(value)
    except ValueError:
        valid = ", ".join(t.value for t in MetricType)
        raise JsonMappingError(f"unknown source {value!r} (one of {valid})", path) from None


def _json_filter(body: QueryMetricsBody, path: str) -> Filter:
    terms: list[Filter] = []
    if body.filter is not None:
        terms.append(parse_filter_json(body.filter, join_path(path, "filter")))
    if body.key is not None:
        terms.append(MatchKey(body.key))
    for tag, value in (body.tags or {}).items():
        terms.append(MatchTag(tag, value))
    if not terms:
        return TRUE_FILTER
    return terms[0] if len(terms) == 1 else optimize(And(tuple(terms)))


def _json_aggregation(body: QueryMetricsBody, path: str) -> Aggregation:
    if body.aggregation is not None:
        return parse_aggregation(body.aggregation, join_path(path, "aggregation"))
    if body.aggregators:
        return parse_aggregation_list(body.aggregators, join_path(path, "aggregators"))
    return Empty()


def _range(obj: Any, path: str, fallback: QueryDateRange | None) -> QueryDateRange | None:
    if obj is None:
        return fallback
    return decode_date_range(obj, join_path(path, "range"))


def decode_query(body: Any, *, now: int) -> MetricsQuery:
    """A ``/query/metrics`` body: HQL text (a :class:`TextBody`) or a QueryMetrics document."""
    if isinstance(body, TextBody):
        return query_from_hql(body.text, now=now)
    return query_from_json(body, now=now)


def query_from_json(
    obj: Any, *, now: int, path: str = "", fallback_range: QueryDateRange | None = None
) -> MetricsQuery:
    """Decode a QueryMetrics JSON document (``path`` prefixes error paths, e.g. in batches)."""
    body = parse_model(QueryMetricsBody, obj, path)
    options = body.options or QueryOptionsBody()
    features = tuple(body.features or ())
    if body.query is not None:
        parsed = parse_query(body.query, now_ms=now)
        decoded = _from_parsed(
            parsed,
            fallback_range=_range(body.range, path, fallback_range),
            options=options,
            features=features,
            path=join_path(path, "query"),
        )
        return replace(decoded, client_context=body.client_context)
    return MetricsQuery(
        range=_range(body.range, path, fallback_range),
        filter=_json_filter(body, path),
        aggregation=_json_aggregation(body, path),
        source=source_type(body.source, join_path(path, "source")),
        options=options,
        features=features,
        client_context=body.client_context,
    )


def batch_from_json(obj: Any, *, now: int) -> dict[str, MetricsQuery]:
    """Decode a ``/query/batch`` body: its named queries, each falling back to its ``range``."""
    batch = parse_model(QueryBatchBody, obj)
    fallback = None if batch.range is None else decode_date_range(batch.range, "range")
    return {
        name: query_from_json(query, now=now, path=f"queries.{name}", fallback_range=fallback)
        for name, query in batch.queries.items()
    }


def _from_parsed(
    parsed: ParsedQuery,
    *,
    fallback_range: QueryDateRange | None,
    options: QueryOptionsBody,
    features: tuple[str, ...],
    path: str,
) -> MetricsQuery:
    hql = parsed.decode(path)
    return MetricsQuery(
        range=fallback_range if hql.range is None else hql.range,
        filter=hql.filter,
        aggregation=hql.aggregation,
        source=hql.source,
        options=options,
        features=features,
    )


def query_from_hql(text: str, *, now: int) -> MetricsQuery:
    """Decode a ``text/plain`` HQL query body."""
    parsed = parse_query(text, now_ms=now)
    return _from_parsed(
        parsed, fallback_range=None, options=QueryOptionsBody(), features=(), path="query"
    )
