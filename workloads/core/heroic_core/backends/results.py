"""Result values of the metadata and suggest backends, with their upstream JSON pieces.

Frozen dataclasses only. ``to_json()`` gives the fields of the upstream HTTP response body
*without* ``errors`` (the API node adds that, together with shard errors). Nothing here talks
to a backend or performs cross-shard reduction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from heroic_core.model import Series


@dataclass(frozen=True, slots=True)
class ConfigureResult:
    """What ``configure()`` created and what already existed (tables, templates, ...)."""

    created: tuple[str, ...] = ()
    existing: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"created": list(self.created), "existing": list(self.existing)}


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """Upstream ``MatchOptions`` (experimental; backends may ignore it)."""

    fuzzy: bool = False
    fuzzy_prefix_length: int = 2
    fuzzy_max_expansions: int = 20
    tokenize: bool = False

    @classmethod
    def from_json(cls, obj: Mapping[str, Any] | None) -> MatchOptions:
        """Decode ``{"fuzzy", "fuzzyPrefixLength", "fuzzyMaxExpansions", "tokenize"}``."""
        if obj is None:
            return cls()
        if not isinstance(obj, Mapping):
            raise TypeError("match must be an object")
        defaults = cls()
        return cls(
            fuzzy=bool(obj.get("fuzzy", defaults.fuzzy)),
            fuzzy_prefix_length=int(obj.get("fuzzyPrefixLength", defaults.fuzzy_prefix_length)),
            fuzzy_max_expansions=int(obj.get("fuzzyMaxExpansions", defaults.fuzzy_max_expansions)),
            tokenize=bool(obj.get("tokenize", defaults.tokenize)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "fuzzy": self.fuzzy,
            "fuzzyPrefixLength": self.fuzzy_prefix_length,
            "fuzzyMaxExpansions": self.fuzzy_max_expansions,
            "tokenize": self.tokenize,
        }


# --- metadata -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FindSeries:
    """``POST /metadata/series``: matching series (sorted) and whether the limit cut them."""

    series: tuple[Series, ...] = ()
    limited: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"series": [s.to_json() for s in self.series], "limited": self.limited}


@dataclass(frozen=True, slots=True)
class CountSeries:
    """``POST /metadata/series-count``."""

    count: int = 0
    limited: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"count": self.count, "limited": self.limited}


@dataclass(frozen=True, slots=True)
class FindKeys:
    """``POST /metadata/keys``: distinct keys, ``size`` = number of distinct keys seen,
    ``duplicates`` = matching series whose key was already counted."""

    keys: tuple[str, ...] = ()
    size: int = 0
    duplicates: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"keys": list(self.keys), "size": self.size, "duplicates": self.duplicates}


@dataclass(frozen=True, slots=True)
class FindTags:
    """``POST /metadata/tags``: tag key -> sorted values; ``size`` = number of tag keys."""

    tags: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    size: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"tags": {k: list(v) for k, v in self.tags.items()}, "size": self.size}


# --- suggest --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TagSuggestion:
    score: float
    key: str
    value: str

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "key": self.key, "value": self.value}


@dataclass(frozen=True, slots=True)
class TagSuggest:
    """``POST /metadata/tag-suggest``."""

    suggestions: tuple[TagSuggestion, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"suggestions": [s.to_json() for s in self.suggestions]}


@dataclass(frozen=True, slots=True)
class KeySuggestion:
    score: float
    key: str

    def to_json(self) -> dict[str, Any]:
        return {"score": self.score, "key": self.key}


@dataclass(frozen=True, slots=True)
class KeySuggest:
    """``POST /metadata/key-suggest``."""

    suggestions: tuple[KeySuggestion, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"suggestions": [s.to_json() for s in self.suggestions]}


@dataclass(frozen=True, slots=True)
class TagValueSuggest:
    """``POST /metadata/tag-value-suggest``: sorted values of one tag key."""

    values: tuple[str, ...] = ()
    limited: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"values": list(self.values), "limited": self.limited}


@dataclass(frozen=True, slots=True)
class TagValuesSuggestion:
    key: str
    values: tuple[str, ...]
    limited: bool

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "values": list(self.values), "limited": self.limited}


@dataclass(frozen=True, slots=True)
class TagValuesSuggest:
    """``POST /metadata/tag-values-suggest``."""

    suggestions: tuple[TagValuesSuggestion, ...] = ()
    limited: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"suggestions": [s.to_json() for s in self.suggestions], "limited": self.limited}


@dataclass(frozen=True, slots=True)
class TagKeyCountSuggestion:
    key: str
    count: int
    exact_values: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"key": self.key, "count": self.count}
        if self.exact_values is not None:
            out["exactValues"] = list(self.exact_values)
        return out


@dataclass(frozen=True, slots=True)
class TagKeyCount:
    """``POST /metadata/tagkey-count``."""

    suggestions: tuple[TagKeyCountSuggestion, ...] = ()
    limited: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"suggestions": [s.to_json() for s in self.suggestions], "limited": self.limited}
