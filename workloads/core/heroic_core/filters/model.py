"""Filter terms (reference 4.1): matching, JSON array form and the upstream term ordering.

Filters only look at a series' key and tags, never at its resource. Terms are immutable,
hashable values. Optimization (``optimize.optimize``) and JSON decoding live elsewhere; this
module must not import them.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

from heroic_core.model import Series

OrderKey = tuple[Any, ...]


def _units(text: str) -> bytes:
    """Java ``String.compareTo`` order: UTF-16 code units, compared as big-endian bytes."""
    return text.encode("utf-16-be", "surrogatepass")


class Filter(ABC):
    """A filter term; ``operator`` is its JSON array tag."""

    __slots__ = ()
    operator: ClassVar[str]

    @abstractmethod
    def matches(self, series: Series) -> bool:
        """True if the series' key/tags satisfy this filter."""

    @abstractmethod
    def args(self) -> list[Any]:
        """The array-form arguments after the operator."""

    def to_json(self) -> list[Any]:
        """The canonical JSON array form, e.g. ``["=", "host", "a"]``."""
        return [self.operator, *self.args()]

    def order_key(self) -> OrderKey:
        """A key reproducing upstream ``compareTo`` (reference 4.3)."""
        return (_units(self.operator), *self._payload_key())

    def _payload_key(self) -> OrderKey:
        return ()

    def __lt__(self, other: Filter) -> bool:
        return self.order_key() < other.order_key()

    def __str__(self) -> str:
        return str(self.to_json())


# Composite terms compute their order key and hash once, on first use: both would otherwise
# walk the whole subtree on every call, and optimization calls them for every term at every
# level (cubic in the depth). Lazily, because the HQL parser builds long ``and`` chains one
# term at a time and never asks most of the intermediate terms.


def _cache_key(term: Filter, payload: OrderKey) -> OrderKey:
    key = (_units(term.operator), *payload)
    object.__setattr__(term, "_key", key)
    return key


def _cache_hash(term: Filter, children: object) -> int:
    value = hash((term.operator, children))
    object.__setattr__(term, "_hash", value)
    return value


@dataclass(frozen=True, slots=True)
class TrueFilter(Filter):
    """Matches every series."""

    operator: ClassVar[str] = "true"

    def matches(self, series: Series) -> bool:
        return True

    def args(self) -> list[Any]:
        return []


@dataclass(frozen=True, slots=True)
class FalseFilter(Filter):
    """Matches no series."""

    operator: ClassVar[str] = "false"

    def matches(self, series: Series) -> bool:
        return False

    def args(self) -> list[Any]:
        return []


@dataclass(frozen=True, slots=True)
class And(Filter):
    """All terms match (an empty ``And`` matches everything until optimized to false)."""

    terms: tuple[Filter, ...]
    _key: OrderKey = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)
    operator: ClassVar[str] = "and"

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            return _cache_hash(self, self.terms)

    def order_key(self) -> OrderKey:
        try:
            return self._key
        except AttributeError:
            return _cache_key(self, (tuple(t.order_key() for t in self.terms),))

    def _payload_key(self) -> OrderKey:
        return self.order_key()[1:]

    def matches(self, series: Series) -> bool:
        return all(t.matches(series) for t in self.terms)

    def args(self) -> list[Any]:
        return [t.to_json() for t in self.terms]


@dataclass(frozen=True, slots=True)
class Or(Filter):
    """Any term matches."""

    terms: tuple[Filter, ...]
    _key: OrderKey = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)
    operator: ClassVar[str] = "or"

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            return _cache_hash(self, self.terms)

    def order_key(self) -> OrderKey:
        try:
            return self._key
        except AttributeError:
            return _cache_key(self, (tuple(t.order_key() for t in self.terms),))

    def _payload_key(self) -> OrderKey:
        return self.order_key()[1:]

    def matches(self, series: Series) -> bool:
        return any(t.matches(series) for t in self.terms)

    def args(self) -> list[Any]:
        return [t.to_json() for t in self.terms]


@dataclass(frozen=True, slots=True)
class Not(Filter):
    """Negation. Ordered by the inner term (upstream's order for two ``not``s is unstable)."""

    filter: Filter
    _key: OrderKey = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)
    operator: ClassVar[str] = "not"

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            return _cache_hash(self, self.filter)

    def order_key(self) -> OrderKey:
        try:
            return self._key
        except AttributeError:
            return _cache_key(self, (self.filter.order_key(),))

    def _payload_key(self) -> OrderKey:
        return self.order_key()[1:]

    def matches(self, series: Series) -> bool:
        return not self.filter.matches(series)

    def args(self) -> list[Any]:
        return [self.filter.to_json()]


@dataclass(frozen=True, slots=True)
class MatchKey(Filter):
    """The series key equals ``key``."""

    key: str
    operator: ClassVar[str] = "key"

    def matches(self, series: Series) -> bool:
        return series.key == self.key

    def args(self) -> list[Any]:
        return [self.key]

    def _payload_key(self) -> OrderKey:
        return (_units(self.key),)


@dataclass(frozen=True, slots=True)
class HasTag(Filter):
    """The tag is present."""

    tag: str
    operator: ClassVar[str] = "+"

    def matches(self, series: Series) -> bool:
        return self.tag in series.tags

    def args(self) -> list[Any]:
        return [self.tag]

    def _payload_key(self) -> OrderKey:
        return (_units(self.tag),)


@dataclass(frozen=True, slots=True)
class _TagValue(Filter):
    tag: str
    value: str

    def args(self) -> list[Any]:
        return [self.tag, self.value]

    def _payload_key(self) -> OrderKey:
        return (_units(self.tag), _units(self.value))


@dataclass(frozen=True, slots=True)
class MatchTag(_TagValue):
    """The tag is present and equal to ``value``."""

    operator: ClassVar[str] = "="

    def matches(self, series: Series) -> bool:
        return series.tags.get(self.tag) == self.value


@dataclass(frozen=True, slots=True)
class StartsWith(_TagValue):
    """The tag is present and starts with ``value``."""

    operator: ClassVar[str] = "^"

    def matches(self, series: Series) -> bool:
        actual = series.tags.get(self.tag)
        return actual is not None and actual.startswith(self.value)


@dataclass(frozen=True, slots=True)
class Regex(_TagValue):
    """The tag is present and the regex matches its whole value (Java ``matches``).

    The pattern is compiled on construction with Python's ``re`` (Java and Python agree on
    common syntax; exotic Java-only constructs are not translated); an invalid pattern raises
    ``ValueError`` naming it, which the decoders turn into a client error.
    """

    operator: ClassVar[str] = "~"
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        try:
            pattern = re.compile(self.value)
        except re.error as e:
            raise ValueError(f"invalid regex {self.value!r}: {e}") from e
        object.__setattr__(self, "_pattern", pattern)

    def matches(self, series: Series) -> bool:
        actual = series.tags.get(self.tag)
        return actual is not None and self._pattern.fullmatch(actual) is not None


TRUE = TrueFilter()
FALSE = FalseFilter()
