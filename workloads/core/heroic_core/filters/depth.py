"""How deeply a filter nests.

Decoders (JSON and HQL) refuse filters deeper than ``heroic_core.limits.MAX_FILTER_DEPTH`` with
a client error. Iterative, so it works on any tree; this module must not decode or optimize.
"""

from __future__ import annotations

from heroic_core.filters.model import And, Filter, Not, Or


def nesting_depth(f: Filter) -> int:
    """Levels of ``and``/``or``/``not`` in ``f`` plus one (a leaf is 1); not recursive."""
    deepest = 0
    stack = [(f, 1)]
    while stack:
        term, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(term, And | Or):
            stack.extend((t, depth + 1) for t in term.terms)
        elif isinstance(term, Not):
            stack.append((term.filter, depth + 1))
    return deepest
