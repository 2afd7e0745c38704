"""Search bodies behind every suggest endpoint (reference 9.2), built from upstream's queries.

Differences from upstream, all so that limits keep the best results rather than arbitrary
ones: tag- and key-suggest collapse hits on ``kv``/``key`` and so keep the best-scoring
distinct suggestions (upstream: terms buckets by document count, scored by their top hit),
and tag-value(s)-suggest and tagkey-count ask for one bucket more than the limit so that
``limited`` can be told. Pure functions returning request bodies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from heroic_core.backends.elasticsearch.filters import MATCH_ALL, Query, filter_query, with_filter
from heroic_core.filters import Filter, TrueFilter

#: Upper bound for "every bucket" (tag keys, or values without a group limit).
ALL_BUCKETS = 1000
TIMEOUT = "30s"
_SPACES = re.compile(r"[ \t]+")


def _term(field: str, value: str, boost: float | None = None) -> Query:
    if boost is None:
        return {"term": {field: value}}
    return {"term": {field: {"value": value, "boost": boost}}}


def field_match(field: str, text: str, boost: float | None = None) -> Query:
    """Upstream ``matchTermKey``/``matchTermValue``: any lowercase word of ``text`` as a bag
    token, the lowercased text as a prefix (x1.5) or the text itself (x2)."""
    lower = text.lower()
    should = [_term(field, word) for word in _SPACES.split(lower.strip()) if word]
    should.append(_term(f"{field}.prefix", lower, 1.5))
    should.append(_term(f"{field}.raw", text, 2.0))
    query: dict[str, Any] = {"should": should}
    if boost is not None:
        query["boost"] = boost
    return {"bool": query}


def _best_per(field: str, size: int, source: list[str]) -> Query:
    """The best-scoring document per distinct ``field`` value, best first (field collapsing;
    needs no scripting, unlike ordering terms buckets by score)."""
    return {"size": size, "collapse": {"field": field}, "_source": {"includes": source}}


def tag_suggest(filter: Filter, size: int, key: str | None, value: str | None) -> Query:
    clauses: dict[str, list[Query]] = {}
    if key and value and key == value:
        clauses["should"] = [field_match("skey", key), field_match("sval", value)]
    else:
        must = []
        if key:
            must.append(field_match("skey", key, 2.0))
        if value:
            must.append(field_match("sval", value))
        if must:
            clauses["must"] = must
    query = {"bool": clauses} if clauses else MATCH_ALL
    return {
        **_best_per("kv", size, ["skey", "sval"]),
        "timeout": TIMEOUT,
        "query": with_filter(query, filter),
    }


def key_suggest(filter: Filter, size: int, key: str | None) -> Query:
    query: Query = MATCH_ALL
    if key:
        lower = key.lower()
        should = [
            _term("key.analyzed", lower),
            _term("key.prefix", lower, 1.5),
            _term("key", lower, 2.0),
        ]
        query = {"bool": {"must": [{"bool": {"should": should}}]}}
    return {**_best_per("key", size, ["key"]), "query": with_filter(query, filter)}


def tag_value_suggest(filter: Filter, size: int, key: str | None) -> Query:
    query: Query = {"bool": {"must": [_term("skey.raw", key)]}} if key else MATCH_ALL
    values = {"field": "sval.raw", "size": size + 1, "order": {"_key": "asc"}}
    return {"size": 0, "query": with_filter(query, filter), "aggs": {"values": {"terms": values}}}


def tag_values_suggest(filter: Filter, group_limit: int | None, exclude: Sequence[str]) -> Query:
    clauses: dict[str, list[Query]] = {}
    if not isinstance(filter, TrueFilter):
        clauses["must"] = [filter_query(filter)]
    if exclude:
        clauses["must_not"] = [_term("skey.raw", k) for k in exclude]
    values_size = ALL_BUCKETS if group_limit is None else group_limit + 1
    return {
        "size": 0,
        "timeout": TIMEOUT,
        "query": {"bool": clauses} if clauses else MATCH_ALL,
        "aggs": {
            "keys": {
                "terms": {"field": "skey.raw", "size": ALL_BUCKETS},
                "aggs": {
                    "values": {
                        "terms": {
                            "field": "sval.raw",
                            "size": values_size,
                            "order": {"_key": "asc"},
                        }
                    }
                },
            }
        },
    }


def tagkey_count(filter: Filter, limit: int | None, exact_limit: int | None) -> Query:
    sub: dict[str, Any] = {"cardinality": {"cardinality": {"field": "sval.raw"}}}
    if exact_limit is not None:
        sub["values"] = {"terms": {"field": "sval.raw", "size": exact_limit + 1}}
    size = ALL_BUCKETS if limit is None else limit + 1
    return {
        "size": 0,
        "query": {"bool": {"must": [filter_query(filter)]}},
        "aggs": {
            "keys": {
                "terms": {"field": "skey.raw", "size": size, "order": {"_key": "asc"}},
                "aggs": sub,
            }
        },
    }
