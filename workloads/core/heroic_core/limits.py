"""Limits shared by the decoders, the backends and the API, each defined once.

How deeply client filters and aggregations may nest (deeper trees would exhaust the interpreter's
stack when decoded, matched or serialized), the suggestion limits upstream caps, and the check
every metadata and suggest operation applies to its ``limit``. Plain values and checks: this
module must import nothing of ours but the errors.
"""

from __future__ import annotations

from typing import Any

from heroic_core.errors import RequestError

#: Deepest filter (``and``/``or``/``not`` levels) accepted from clients, as JSON or HQL.
MAX_FILTER_DEPTH = 100
FILTER_TOO_DEEP = f"filter is nested too deeply (at most {MAX_FILTER_DEPTH} levels)"

#: Deepest aggregation JSON accepted from clients (and produced from HQL): the aggregation
#: decoder, evaluator and JSON encoders recurse on the tree.
MAX_AGGREGATION_DEPTH = 100
AGGREGATION_TOO_DEEP = (
    f"aggregation is nested too deeply (at most {MAX_AGGREGATION_DEPTH} JSON levels)"
)

#: Upstream caps every suggest backend's ``numSuggestionsLimit`` (default 50) at 250.
DEFAULT_NUM_SUGGESTIONS_LIMIT = 50
SUGGESTIONS_LIMIT_CEILING = 250
#: Upstream fixes the number of exact values returned by tagkey-count at 10.
DEFAULT_TAGKEY_COUNT_EXACT_LIMIT = 10


def check_limit(limit: int | None) -> None:
    """Reject negative limits (``None`` means unlimited)."""
    if limit is not None and limit < 0:
        raise RequestError(f"limit must not be negative, got {limit}")


def json_depth(value: Any) -> int:
    """Nesting depth of a decoded JSON value (a scalar is 0); not recursive."""
    deepest = 0
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest
