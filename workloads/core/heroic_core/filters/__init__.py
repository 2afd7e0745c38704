"""Heroic filters: terms, matching, optimization and nesting depth (reference section 4).

Import from here; the submodules are an implementation detail. Decoding filters from HQL and
from their JSON forms (which embed HQL) is ``heroic_core.hql``'s: this package parses nothing.
"""

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
    "nesting_depth",
    "optimize",
]
