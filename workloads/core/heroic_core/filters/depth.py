"""How deeply a filter nests, and the deepest one accepted from clients (``MAX_DEPTH``).

Decoders (JSON and HQL) refuse deeper filters with a client error. Iterative, so it works on
any tree; this module must not decode or optimize.
"""

from __future__ import annotations

from heroic_core.filters.model import And, Filter, Not, Or

#: Deepest filter (``and``/``or``/``not`` levels) accepted from clients: deeper trees are
#: pathological and would exhaust the interpreter's stack when matched or serialized.
MAX_DEPTH = 100


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
