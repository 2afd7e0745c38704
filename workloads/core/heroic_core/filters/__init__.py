"""Heroic filters: terms, optimization and JSON decoding (reference section 4).

Import from here; the submodules are an implementation detail.
"""

from heroic_core.filters.decode import filter_from_hql, parse_filter_json
from heroic_core.filters.depth import nesting_depth
from heroic_core.filters.model import (
    FALSE,
    TRUE,
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
from heroic_core.filters.optimize import optimize

__all__ = [
    "FALSE",
    "TRUE",
    "And",
    "FalseFilter",
    "Filter",
    "HasTag",
    "MatchKey",
    "MatchTag",
    "Not",
    "Or",
    "Regex",
    "StartsWith",
    "TrueFilter",
    "filter_from_hql",
    "nesting_depth",
    "optimize",
    "parse_filter_json",
]
