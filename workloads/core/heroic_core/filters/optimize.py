"""Filter optimization exactly as upstream's ``optimize()`` does it (reference 4.2).

Only the rules upstream has: no extra simplification (for example ``and`` keeps a ``false``
term), because optimized filters are visible to clients through ``/parser/parse-filter``.
"""

from __future__ import annotations

from collections.abc import Iterable

from heroic_core.filters.model import (
    FALSE,
    TRUE,
    And,
    Filter,
    MatchKey,
    MatchTag,
    Not,
    Or,
    StartsWith,
)


def optimize(f: Filter) -> Filter:
    """Return the optimized form of ``f``."""
    if isinstance(f, And):
        return _optimize_and(_flatten(f.terms, And, Or))
    if isinstance(f, Or):
        return _optimize_or(_flatten(f.terms, Or, And))
    if isinstance(f, Not):
        if isinstance(f.filter, Not):
            return optimize(f.filter.filter)
        return Not(optimize(f.filter))
    return f


def _flatten(terms: Iterable[Filter], same: type[Filter], dual: type[Filter]) -> list[Filter]:
    """Optimize terms, inline nested ``same`` terms, apply De Morgan to ``not(dual)``.

    Returns the distinct terms in upstream order.
    """
    result: set[Filter] = set()
    for term in terms:
        opt = optimize(term)
        if isinstance(opt, same) and isinstance(opt, And | Or):
            result.update(opt.terms)
        elif (
            isinstance(opt, Not)
            and isinstance(opt.filter, dual)
            and isinstance(opt.filter, And | Or)
        ):
            result.update(optimize(Not(inner)) for inner in opt.filter.terms)
        else:
            result.add(opt)
    return sorted(result, key=Filter.order_key)


def _strictly_extends(longer: str, shorter: str) -> bool:
    return longer != shorter and longer.startswith(shorter)


def _prefixes_by_tag(terms: list[Filter]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for term in terms:
        if isinstance(term, StartsWith):
            result.setdefault(term.tag, []).append(term.value)
    return result


def _conflicts(terms: list[Filter]) -> bool:
    """``key`` terms with different keys, or ``=`` terms on one tag with different values."""
    keys = {t.key for t in terms if isinstance(t, MatchKey)}
    values: dict[str, set[str]] = {}
    for term in terms:
        if isinstance(term, MatchTag):
            values.setdefault(term.tag, set()).add(term.value)
    return len(keys) > 1 or any(len(v) > 1 for v in values.values())


def _optimize_and(terms: list[Filter]) -> Filter:
    present = set(terms)
    if _conflicts(terms):
        return FALSE
    prefixes = _prefixes_by_tag(terms)
    result: list[Filter] = []
    for f in terms:
        if isinstance(f, Not) and f.filter in present:
            return FALSE
        # foo ^ hello and foo ^ helloworld -> foo ^ helloworld
        if isinstance(f, StartsWith) and any(
            _strictly_extends(other, f.value) for other in prefixes[f.tag]
        ):
            continue
        result.append(f)
    return _combine(result, And, FALSE)


def _combine(result: list[Filter], kind: type[And] | type[Or], empty: Filter) -> Filter:
    if not result:
        return empty
    if len(result) == 1:
        return result[0]
    return kind(tuple(result))


def _optimize_or(terms: list[Filter]) -> Filter:
    present = set(terms)
    prefixes = _prefixes_by_tag(terms)
    result: list[Filter] = []
    for f in terms:
        if isinstance(f, Not) and f.filter in present:
            return TRUE
        # foo ^ hello or foo ^ helloworld -> foo ^ hello
        if isinstance(f, StartsWith) and any(
            _strictly_extends(f.value, other) for other in prefixes[f.tag]
        ):
            continue
        result.append(f)
    return _combine(result, Or, TRUE)
