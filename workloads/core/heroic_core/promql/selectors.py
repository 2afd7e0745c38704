"""Label matchers of a vector selector, exactly as Prometheus applies them, and the Heroic
filter that narrows the metadata lookup before they are applied.

Prometheus treats a missing label as the empty string, so ``a!="x"`` and ``a=~"x|"`` select
series without ``a`` too; the filter pushed to the metadata backend keeps only what is safe
to push (a superset of the answer), and ``LabelMatcher.matches`` decides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from heroic_core.filters import TRUE, And, Filter, HasTag, MatchKey, MatchTag, Not, Regex
from heroic_core.promql.errors import PromQLError
from heroic_core.promql.names import NAME_LABEL
from heroic_core.promql.values import RawSeries


class MatchOp(StrEnum):
    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


@dataclass(frozen=True, slots=True)
class LabelMatcher:
    """One ``name op "value"`` of a selector; regexes match the whole value."""

    name: str
    op: MatchOp
    value: str
    _pattern: re.Pattern[str] | None = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        pattern = None
        if self.op in (MatchOp.REGEX, MatchOp.NOT_REGEX):
            try:
                pattern = re.compile(self.value, re.DOTALL)
            except re.error as exc:
                raise PromQLError(f"invalid regular expression {self.value!r}: {exc}") from None
        object.__setattr__(self, "_pattern", pattern)

    def matches_value(self, value: str) -> bool:
        if self._pattern is None:
            return (value == self.value) == (self.op is MatchOp.EQUAL)
        found = self._pattern.fullmatch(value) is not None
        return found == (self.op is MatchOp.REGEX)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return self.matches_value(labels.get(self.name, ""))

    def matches_empty(self) -> bool:
        return self.matches_value("")


def matches_all(matchers: Sequence[LabelMatcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)


def _pushdown(matcher: LabelMatcher) -> Filter | None:
    """The Heroic filter selecting a superset of what ``matcher`` selects, or None."""
    name, value, op = matcher.name, matcher.value, matcher.op
    if name == NAME_LABEL:
        return MatchKey(value) if op is MatchOp.EQUAL else None
    if op is MatchOp.EQUAL:
        return MatchTag(name, value) if value else Not(HasTag(name))
    if op is MatchOp.NOT_EQUAL:
        return Not(MatchTag(name, value)) if value else HasTag(name)
    if op is MatchOp.REGEX:
        return None if matcher.matches_empty() else Regex(name, value)
    # !~: a series without the label has "" there, which the regex decides.
    return HasTag(name) if matcher.matches_empty() else Not(Regex(name, value))


def to_filter(matchers: Sequence[LabelMatcher]) -> Filter:
    """The conjunction of what can be pushed down (``TRUE`` when nothing can)."""
    terms = [f for f in (_pushdown(m) for m in matchers) if f is not None]
    if not terms:
        return TRUE
    return terms[0] if len(terms) == 1 else And(tuple(terms))


class Storage(Protocol):
    """Where selectors read series from (the API node's metadata and metric backends)."""

    async def select(
        self, matchers: Sequence[LabelMatcher], start: int, end: int
    ) -> list[RawSeries]:
        """Every series all ``matchers`` select, with its samples in ``[start, end]`` (ms),
        sorted by time; series without samples there may be left out."""
        ...
