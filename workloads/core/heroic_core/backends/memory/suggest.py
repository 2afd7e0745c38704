"""In-memory suggest backend (``type: memory``) with the Elasticsearch backend's semantics.

Keeps every written series (key and tags; resource is never indexed) — upstream's memory
backend kept only the last series per tag, so a filter could miss tags an earlier series had.
Text matching follows ``analyze``; limits default to ``numSuggestionsLimit`` (50, capped at 250).
Like upstream it ignores the request ``range``. Nothing is persisted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from heroic_core.backends.base import (
    ConfigureResult,
    KeySuggest,
    KeySuggestion,
    MatchOptions,
    TagKeyCount,
    TagKeyCountSuggestion,
    TagSuggest,
    TagSuggestion,
    TagValuesSuggest,
    TagValuesSuggestion,
    TagValueSuggest,
)
from heroic_core.backends.memory.analyze import field_score, key_score
from heroic_core.limits import (
    DEFAULT_NUM_SUGGESTIONS_LIMIT,
    DEFAULT_TAGKEY_COUNT_EXACT_LIMIT,
    SUGGESTIONS_LIMIT_CEILING,
    check_limit,
)
from heroic_core.model import DateRange, Series

if TYPE_CHECKING:
    from heroic_core.filters import Filter


def _tag_score(key: str | None, value: str | None, tag: tuple[str, str]) -> float:
    """Upstream's tag-suggest query: key (boost 2) and value must both match, unless they are
    the same text, in which case either may."""
    if key is None and value is None:
        return 1.0
    k_score = 2 * field_score(key, tag[0]) if key is not None else 0.0
    v_score = field_score(value, tag[1]) if value is not None else 0.0
    if key is not None and value is not None and key != value and not (k_score and v_score):
        return 0.0
    return k_score + v_score


class MemorySuggestBackend:
    """Suggest backend keeping every written series in process memory."""

    def __init__(
        self,
        id: str = "memory",
        groups: Iterable[str] = ("memory",),
        num_suggestions_limit: int = DEFAULT_NUM_SUGGESTIONS_LIMIT,
    ) -> None:
        self._id = id
        self._groups = frozenset(groups)
        self._default_limit = min(SUGGESTIONS_LIMIT_CEILING, num_suggestions_limit)
        self._lock = threading.Lock()
        self._series: set[Series] = set()

    @property
    def id(self) -> str:
        return self._id

    @property
    def groups(self) -> frozenset[str]:
        return self._groups

    async def is_ready(self) -> bool:
        return True

    async def configure(self) -> ConfigureResult:
        return ConfigureResult()

    async def close(self) -> None:
        return None

    async def write(self, series: Series, range: DateRange) -> None:
        self._index([series])

    async def write_many(self, items: Sequence[tuple[Series, DateRange]]) -> None:
        """Index many series under one lock hold (resource is never indexed)."""
        self._index([series for series, _ in items])

    def _index(self, written: list[Series]) -> None:
        indexed = [Series(s.key, s.tags) if s.resource else s for s in written]
        with self._lock:
            self._series.update(indexed)

    def _limit(self, limit: int | None) -> int:
        check_limit(limit)
        return min(SUGGESTIONS_LIMIT_CEILING, self._default_limit if limit is None else limit)

    def _matching(self, filter: Filter) -> list[Series]:
        with self._lock:
            snapshot = list(self._series)
        return [s for s in snapshot if filter.matches(s)]

    def _tags(self, filter: Filter) -> dict[str, set[str]]:
        tags: dict[str, set[str]] = {}
        for series in self._matching(filter):
            for key, value in series.tags.items():
                tags.setdefault(key, set()).add(value)
        return tags

    async def tag_suggest(
        self,
        filter: Filter,
        range: DateRange,
        limit: int | None = None,
        *,
        key: str | None = None,
        value: str | None = None,
        match: MatchOptions | None = None,
    ) -> TagSuggest:
        """Tags matching partial ``key``/``value``; best score first, then key, then value."""
        size = self._limit(limit)
        key, value = key or None, value or None
        pairs = {(k, v) for s in self._matching(filter) for k, v in s.tags.items()}
        scored = [(score, k, v) for k, v in pairs if (score := _tag_score(key, value, (k, v)))]
        scored.sort(key=lambda x: (-x[0], x[1], x[2]))
        return TagSuggest(tuple(TagSuggestion(s, k, v) for s, k, v in scored[:size]))

    async def key_suggest(
        self,
        filter: Filter,
        range: DateRange,
        limit: int | None = None,
        *,
        key: str | None = None,
        match: MatchOptions | None = None,
    ) -> KeySuggest:
        """Series keys matching partial ``key``; best score first, then key."""
        size = self._limit(limit)
        keys = {s.key for s in self._matching(filter)}
        scored = [(key_score(key, k) if key else 1.0, k) for k in keys]
        scored = [x for x in scored if x[0] > 0]
        scored.sort(key=lambda x: (-x[0], x[1]))
        return KeySuggest(tuple(KeySuggestion(s, k) for s, k in scored[:size]))

    async def tag_value_suggest(
        self,
        filter: Filter,
        range: DateRange,
        limit: int | None = None,
        *,
        key: str | None = None,
    ) -> TagValueSuggest:
        """Sorted values of tag ``key`` (of every tag when ``key`` is empty)."""
        size = self._limit(limit)
        tags = self._tags(filter)
        if key:
            values = sorted(tags.get(key, ()))
        else:
            values = sorted({v for vs in tags.values() for v in vs})
        return TagValueSuggest(tuple(values[:size]), limited=len(values) > size)

    async def tag_values_suggest(
        self,
        filter: Filter,
        range: DateRange,
        limit: int | None = None,
        *,
        group_limit: int | None = None,
        exclude: Sequence[str] = (),
    ) -> TagValuesSuggest:
        """Per tag key its sorted values (at most ``group_limit``); keys with most values first."""
        size = self._limit(limit)
        check_limit(group_limit)
        excluded = set(exclude)
        suggestions = []
        for key, value_set in self._tags(filter).items():
            if key in excluded:
                continue
            values = sorted(value_set)
            cut = len(values) if group_limit is None else group_limit
            suggestions.append(TagValuesSuggestion(key, tuple(values[:cut]), len(values) > cut))
        suggestions.sort(key=lambda s: (-len(s.values), s.key, s.values, s.limited))
        return TagValuesSuggest(tuple(suggestions[:size]), limited=len(suggestions) > size)

    async def tagkey_count(
        self,
        filter: Filter,
        range: DateRange,
        limit: int | None = None,
        *,
        exact_limit: int | None = DEFAULT_TAGKEY_COUNT_EXACT_LIMIT,
    ) -> TagKeyCount:
        """Per tag key (sorted) its number of distinct values, and the values themselves when
        there are at most ``exact_limit``. ``limit=None`` means every key."""
        check_limit(limit)
        check_limit(exact_limit)
        suggestions = []
        for key, value_set in sorted(self._tags(filter).items()):
            exact = None
            if exact_limit is not None and len(value_set) <= exact_limit:
                exact = tuple(sorted(value_set))
            suggestions.append(TagKeyCountSuggestion(key, len(value_set), exact))
        if limit is not None and len(suggestions) > limit:
            return TagKeyCount(tuple(suggestions[:limit]), limited=True)
        return TagKeyCount(tuple(suggestions), limited=False)
