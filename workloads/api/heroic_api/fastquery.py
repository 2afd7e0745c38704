"""The typed fast path of a QueryMetrics JSON body (``POST /query/metrics``, each query of
``/query/batch``): msgspec reads the usual fields, keeping ``range``, ``filter``,
``aggregation``, ``options`` and ``clientContext`` as raw JSON; the first four are decoded once
per distinct text and then remembered (a dashboard sends the same filters and aggregations over
and over; VictoriaMetrics caches its parsed queries the same way).

It only ever accepts what the document path (``services.query_request``) accepts, with the same
result: the sub-documents are read by the same strict decoder and the same parsers, and a body
with any other field (HQL ``query``, legacy ``key``/``tags``/``aggregators``, snake_case names),
a value of another type, or any error returns None, and the document path answers, errors
included. What is remembered is immutable (filters, aggregations, ranges and options are frozen).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import msgspec

from heroic_api.body import TextBody, decode_json
from heroic_api.schemas import QueryOptionsBody, parse_model
from heroic_api.services.query_request import (
    MetricsQuery,
    batch_from_json,
    decode_query,
    source_type,
)
from heroic_core.aggregations import Aggregation, Empty, parse_aggregation
from heroic_core.filters import TRUE as TRUE_FILTER
from heroic_core.filters import Filter
from heroic_core.hql import parse_filter_json
from heroic_core.ranges import QueryDateRange, decode_date_range

#: Distinct sub-documents remembered per kind, and the longest remembered: at most about
#: 2,048 x 1 KiB of text, plus what it decodes to, per kind.
REMEMBERED = 2048
REMEMBERED_BYTES = 1024

T = TypeVar("T")
_ABSENT = msgspec.Raw(b"")
_NULL = b"null"


class _Query(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """The fields a usual QueryMetrics body has, under their wire names."""

    range: msgspec.Raw = _ABSENT
    filter: msgspec.Raw = _ABSENT
    aggregation: msgspec.Raw = _ABSENT
    source: str | None = None
    options: msgspec.Raw = _ABSENT
    features: list[str] | None = None
    clientContext: msgspec.Raw = _ABSENT  # noqa: N815 - the wire's name
    noCache: bool | None = None  # noqa: N815 - the wire's name; read by nobody, as upstream


class _Batch(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """A ``/query/batch`` body."""

    queries: dict[str, msgspec.Raw] = msgspec.field(default_factory=dict)
    range: msgspec.Raw = _ABSENT


_DECODER = msgspec.json.Decoder(_Query)
_BATCH_DECODER = msgspec.json.Decoder(_Batch)


def read_query(body: bytes | TextBody, *, now: int) -> MetricsQuery:
    """The query of a ``/query/metrics`` body: JSON (bytes) by the fast path when it can, else
    (and HQL text always) by the document path, which names any problem."""
    if isinstance(body, TextBody):
        return decode_query(body, now=now)
    fast = fast_query(body)
    return fast if fast is not None else decode_query(decode_json(body), now=now)


def read_batch(raw: bytes, *, now: int) -> dict[str, MetricsQuery]:
    """The named queries of a ``/query/batch`` body, as :func:`read_query` reads one."""
    fast = fast_batch(raw)
    return fast if fast is not None else batch_from_json(decode_json(raw), now=now)


def fast_batch(raw: bytes) -> dict[str, MetricsQuery] | None:
    """A batch's queries, or None when the document path must read the body."""
    try:
        batch = _BATCH_DECODER.decode(raw)
        fallback = _range(batch.range, None)
    except Exception:  # noqa: BLE001 - the document path names every problem
        return None
    queries: dict[str, MetricsQuery] = {}
    for name, query in batch.queries.items():
        one = fast_query(bytes(query), fallback_range=fallback)
        if one is None:
            return None
        queries[name] = one
    return queries


def fast_query(raw: bytes, *, fallback_range: QueryDateRange | None = None) -> MetricsQuery | None:
    """The query of a JSON body, or None when the document path must read it."""
    try:
        body = _DECODER.decode(raw)
        return MetricsQuery(
            range=_range(body.range, fallback_range),
            filter=_filter(body.filter),
            aggregation=_aggregation(body.aggregation),
            source=source_type(body.source, "source"),
            options=_options(body.options),
            features=tuple(body.features or ()),
            client_context=_document(body.clientContext),
        )
    except Exception:  # noqa: BLE001 - the document path names every problem
        return None


def _text(raw: msgspec.Raw) -> bytes | None:
    """The sub-document's text; None when absent or ``null`` (the document path's None)."""
    text = bytes(raw)
    return None if not text or text == _NULL else text


def _document(raw: msgspec.Raw) -> Any:
    text = _text(raw)
    return None if text is None else decode_json(text)


class _Remembered(Generic[T]):
    """``parse`` of a sub-document's text, remembered when the text is short."""

    def __init__(self, parse: Callable[[bytes], T]) -> None:
        self.parse = parse
        self.remembered = functools.lru_cache(maxsize=REMEMBERED)(parse)

    def __call__(self, text: bytes) -> T:
        return self.remembered(text) if len(text) <= REMEMBERED_BYTES else self.parse(text)


_FILTERS = _Remembered(lambda text: parse_filter_json(decode_json(text), "filter"))
_AGGREGATIONS = _Remembered(lambda text: parse_aggregation(decode_json(text), "aggregation"))
_RANGES = _Remembered(lambda text: decode_date_range(decode_json(text), "range"))
_OPTIONS = _Remembered(lambda text: parse_model(QueryOptionsBody, decode_json(text), "options"))


def _filter(raw: msgspec.Raw) -> Filter:
    text = _text(raw)
    return TRUE_FILTER if text is None else _FILTERS(text)


def _aggregation(raw: msgspec.Raw) -> Aggregation:
    text = _text(raw)
    return Empty() if text is None else _AGGREGATIONS(text)


def _range(raw: msgspec.Raw, fallback: QueryDateRange | None) -> QueryDateRange | None:
    text = _text(raw)
    return fallback if text is None else _RANGES(text)


def _options(raw: msgspec.Raw) -> QueryOptionsBody:
    text = _text(raw)
    return QueryOptionsBody() if text is None else _OPTIONS(text)
