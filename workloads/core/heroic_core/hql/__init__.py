"""HQL, the Heroic Query Language (reference section 5): a hand-written lexer and parser.

Public API: ``parse_query`` (a whole query, as ``/parser/parse-query`` and text/plain
``/query/metrics`` use it), ``parse_filter`` (as ``/parser/parse-filter``, the ``q`` filter
operator and ``ingestion.filter`` use it) and ``parse_aggregation``, which raise
``heroic_core.errors.QueryParseError``; and ``parse_filter_json``, the decoder of the JSON filter
forms (which embed HQL), raising ``JsonMappingError``.

Places where upstream crashed with an internal error (a 500) and we raise a positioned
``QueryParseError`` instead: non-string filter operands (``status = 200``), ``not in`` with a
non-list, integer division by zero, out-of-range numbers, invalid times/dates, invalid
regexes (compiled eagerly here, upstream only at match time), select expressions that are not
aggregations, more or less than one statement, ``let`` statements, unknown aggregations and
aggregation argument errors. Positions: ``line`` is 1-based and ``col`` 0-based everywhere
(upstream used these for syntax errors but 0-based lines and absolute offsets for semantic
ones). Upstream's "garbage at end of string" cannot happen with its EOF-terminated entry
rules; trailing tokens are reported as "unexpected token".
"""

from heroic_core.hql.json_filter import parse_filter_json
from heroic_core.hql.query import (
    HqlQuery,
    ParsedQuery,
    parse_aggregation,
    parse_filter,
    parse_query,
)

__all__ = [
    "HqlQuery",
    "ParsedQuery",
    "parse_aggregation",
    "parse_filter",
    "parse_filter_json",
    "parse_query",
]
