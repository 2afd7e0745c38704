"""Filters as Elasticsearch queries over the ``key``/``tags``/``tag_keys`` fields (ref. 9.1).

Upstream's translation, plus regex filters, which upstream rejected: ``["~", tag, re]``
becomes a Lucene ``regexp`` on ``tags`` matching ``tag\\0<re>`` (Lucene regexps match the
whole term, as Java's ``matches`` does). Java-only regex syntax Lucene cannot express
(anchors inside the pattern, lookaround, ``(?flags)``, backreferences, ``\\b``...) raises
``RequestError`` naming the construct. Pure functions returning query dicts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from heroic_core.backends.elasticsearch.documents import join_tag
from heroic_core.errors import RequestError
from heroic_core.filters import (
    And,
    FalseFilter,
    Filter,
    HasTag,
    MatchKey,
    MatchTag,
    Not,
    Or,
    Regex,
    StartsWith,
    TrueFilter,
)

Query = dict[str, Any]

MATCH_ALL: Query = {"match_all": {}}
MATCH_NONE: Query = {"bool": {"must_not": [{"match_all": {}}]}}

# Characters with a meaning in Lucene regexps, escaped when they must be literal. The
# optional operators (~ & @ # < >) are disabled with flags=NONE but escaping them is harmless.
_LUCENE_SPECIAL = set('.?+*|{}[]()"\\~&@#<>')
_UNSUPPORTED = [
    (re.compile(r"\(\?"), "groups with (?...) flags or lookaround"),
    (re.compile(r"\\[bBAzZGQEpPkhHRXNV]"), "the escape \\{}"),
    (re.compile(r"\\[1-9]"), "backreferences"),
    (re.compile(r"[*+?}][+]"), "possessive quantifiers"),
]


def _regex(f: Regex) -> Query:
    value = lucene_literal(join_tag(f.tag, "")) + lucene_regex(f.value)
    return {"regexp": {"tags": {"value": value, "flags": "NONE"}}}


_CONVERTERS: dict[type[Filter], Callable[[Any], Query]] = {
    TrueFilter: lambda f: MATCH_ALL,
    FalseFilter: lambda f: MATCH_NONE,
    And: lambda f: {"bool": {"must": [filter_query(t) for t in f.terms]}},
    Or: lambda f: {
        "bool": {"should": [filter_query(t) for t in f.terms], "minimum_should_match": 1}
    },
    Not: lambda f: {"bool": {"must_not": [filter_query(f.filter)]}},
    MatchTag: lambda f: {"term": {"tags": join_tag(f.tag, f.value)}},
    StartsWith: lambda f: {"prefix": {"tags": join_tag(f.tag, f.value)}},
    HasTag: lambda f: {"term": {"tag_keys": f.tag}},
    MatchKey: lambda f: {"term": {"key": f.key}},
    Regex: _regex,
}


def filter_query(filter: Filter) -> Query:
    """The query matching the documents of series that ``filter`` matches."""
    convert = _CONVERTERS.get(type(filter))
    if convert is None:
        raise RequestError(f"Unsupported filter statement: {filter}")
    return convert(filter)


def lucene_literal(text: str) -> str:
    """``text`` as a Lucene regexp matching exactly it."""
    return "".join("\\" + c if c in _LUCENE_SPECIAL else c for c in text)


def lucene_regex(pattern: str) -> str:
    """A Java regex (whole-value match) as an equivalent Lucene regexp."""
    for finder, what in _UNSUPPORTED:
        found = finder.search(pattern)
        if found:
            detail = what.format(found.group(0)[-1])
            raise RequestError(f"regex {pattern!r} cannot be run on Elasticsearch: {detail}")
    body = _strip_anchors(pattern)
    out: list[str] = []
    escaped = in_class = False
    for char in body:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "[" and not in_class:
            in_class = True
            out.append(char)
        elif char == "]" and in_class:
            in_class = False
            out.append(char)
        elif char in "^$" and not in_class:
            raise RequestError(
                f"regex {pattern!r} cannot be run on Elasticsearch: anchors inside the pattern"
            )
        elif char in '"~&@#<>' and not in_class:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def _strip_anchors(pattern: str) -> str:
    """Drop a leading ``^`` and an unescaped trailing ``$``: the match is whole-value anyway."""
    body = pattern.removeprefix("^")
    if body.endswith("$"):
        backslashes = len(body[:-1]) - len(body[:-1].rstrip("\\"))
        if backslashes % 2 == 0:
            body = body[:-1]
    return body


def with_filter(query: Query, filter: Filter) -> Query:
    """``query`` restricted to ``filter`` (left alone for the true filter)."""
    if isinstance(filter, TrueFilter):
        return query
    return {"bool": {"must": [query], "filter": [filter_query(filter)]}}
