"""Filter optimization exactly as upstream's ``optimize()`` does it (reference 4.2).

Only the rules upstream has: no extra simplification (for example ``and`` keeps a ``false``
term), because optimized filters are visible to clients through ``/parser/parse-filter``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

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


def _has_prefix_peer(
    terms: list[Filter], outer: StartsWith, check: Callable[[StartsWith, StartsWith], bool]
) -> bool:
    return any(
        isinstance(inner, StartsWith) and inner.tag == outer.tag and check(inner, outer)
        for inner in terms
    )


def _conflicts(terms: list[Filter], outer: MatchTag | MatchKey) -> bool:
    """``key`` terms with different keys, or ``=`` terms on one tag with different values."""
    if isinstance(outer, MatchKey):
        return any(isinstance(i, MatchKey) and i.key != outer.key for i in terms)
    return any(
        isinstance(i, MatchTag) and i.tag == outer.tag and i.value != outer.value for i in terms
    )


def _optimize_and(terms: list[Filter]) -> Filter:
    present = set(terms)
    result: list[Filter] = []
    for f in terms:
        if isinstance(f, Not):
            if f.filter in present:
                return FALSE
        elif isinstance(f, StartsWith):
            # foo ^ hello and foo ^ helloworld -> foo ^ helloworld
            if _has_prefix_peer(terms, f, lambda i, o: _strictly_extends(i.value, o.value)):
                continue
        elif isinstance(f, MatchTag | MatchKey) and _conflicts(terms, f):
            return FALSE
        result.append(f)
    if not result:
        return FALSE
    if len(result) == 1:
        return result[0]
    return And(tuple(result))


def _optimize_or(terms: list[Filter]) -> Filter:
    present = set(terms)
    result: list[Filter] = []
    for f in terms:
        if isinstance(f, Not):
            if f.filter in present:
                return TRUE
        elif isinstance(f, StartsWith) and _has_prefix_peer(
            terms, f, lambda i, o: _strictly_extends(o.value, i.value)
        ):
            continue  # foo ^ hello or foo ^ helloworld -> foo ^ hello
        result.append(f)
    if not result:
        return TRUE
    if len(result) == 1:
        return result[0]
    return Or(tuple(result))
