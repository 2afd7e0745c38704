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

from heroic_core.filters import TRUE, And, Filter, HasTag, MatchKey, MatchTag, Not, Or
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


#: A regex that is only literal alternatives (Grafana's multi-value variables: ``a|b|c``).
_LITERALS = re.compile(r"[A-Za-z0-9_\-.:/ ]+(?:\|[A-Za-z0-9_\-.:/ ]+)*")


def _alternatives(matcher: LabelMatcher) -> list[str] | None:
    if not _LITERALS.fullmatch(matcher.value):
        return None
    # '.' is the only regex metacharacter the pattern admits; a literal needs none.
    if "." in matcher.value:
        return None
    return matcher.value.split("|")


def _pushdown(matcher: LabelMatcher) -> tuple[Filter | None, bool]:  # noqa: PLR0911
    """The Heroic filter selecting a superset of what ``matcher`` selects (or None), and
    whether it selects exactly that. Regexes other than literal alternatives are never pushed:
    the backends' regex dialects (Lucene's, for Elasticsearch) are not RE2's."""
    name, value, op = matcher.name, matcher.value, matcher.op
    if op is MatchOp.REGEX:
        options = _alternatives(matcher)
        if options is None:
            return None, False
        if name == NAME_LABEL:
            terms: list[Filter] = [MatchKey(o) for o in options]
        else:
            terms = [MatchTag(name, o) for o in options]
        return (terms[0] if len(terms) == 1 else Or(tuple(terms))), True
    if name == NAME_LABEL:
        if op is MatchOp.EQUAL:
            return MatchKey(value), True
        if op is MatchOp.NOT_EQUAL:
            return Not(MatchKey(value)), True
        return None, False
    if op is MatchOp.EQUAL:
        return (MatchTag(name, value) if value else Not(HasTag(name))), True
    if op is MatchOp.NOT_EQUAL:
        return (Not(MatchTag(name, value)) if value else HasTag(name)), True
    # !~: a series without the label has "" there, which the regex decides.
    return (None if matcher.matches_empty() else HasTag(name)), False


@dataclass(frozen=True, slots=True)
class Pushdown:
    """What a metadata backend is asked, and whether its answer needs no further filtering."""

    filter: Filter
    exact: bool


def to_filter(matchers: Sequence[LabelMatcher]) -> Pushdown:
    """The conjunction of what can be pushed down (``TRUE`` when nothing can)."""
    pushed = [_pushdown(m) for m in matchers]
    terms = [f for f, _ in pushed if f is not None]
    exact = all(e for _, e in pushed)
    if not terms:
        return Pushdown(TRUE, exact)
    return Pushdown(terms[0] if len(terms) == 1 else And(tuple(terms)), exact)


class Storage(Protocol):
    """Where selectors read series from (the API node's metadata and metric backends)."""

    async def select(
        self, matchers: Sequence[LabelMatcher], start: int, end: int
    ) -> list[RawSeries]:
        """Every series all ``matchers`` select, with its samples in ``[start, end]`` (ms),
        sorted by time; series without samples there may be left out."""
        ...
