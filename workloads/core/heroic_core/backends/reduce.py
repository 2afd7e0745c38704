"""Combine results of several backends or shards into one (reference 2.9 reduction rules).

Used when a group holds several metadata/suggest backends and when the API node federates
shards. Upstream bugs are not copied (reference 13): tags are merged instead of dropped and
``duplicates`` counts only repeated keys. Pure functions over result values; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

from heroic_core.backends.results import (
    CountSeries,
    FindKeys,
    FindSeries,
    FindTags,
    KeySuggest,
    KeySuggestion,
    TagKeyCount,
    TagKeyCountSuggestion,
    TagSuggest,
    TagSuggestion,
    TagValuesSuggest,
    TagValuesSuggestion,
    TagValueSuggest,
)
from heroic_core.model import Series

T = TypeVar("T")


def _cut(items: Sequence[T], limit: int | None) -> tuple[tuple[T, ...], bool]:
    if limit is not None and len(items) > limit:
        return tuple(items[:limit]), True
    return tuple(items), False


def find_series(parts: Iterable[FindSeries], limit: int | None = None) -> FindSeries:
    """Sorted union; ``limited`` if any part was or the union exceeds ``limit``."""
    parts = list(parts)
    union: set[Series] = {s for p in parts for s in p.series}
    series, cut = _cut(sorted(union), limit)
    return FindSeries(series, cut or any(p.limited for p in parts))


def count_series(parts: Iterable[CountSeries]) -> CountSeries:
    """Sum of counts."""
    parts = list(parts)
    return CountSeries(sum(p.count for p in parts), any(p.limited for p in parts))


def find_keys(parts: Iterable[FindKeys], limit: int | None = None) -> FindKeys:
    """Sorted union of keys; a key reported by several parts counts as a duplicate."""
    parts = list(parts)
    union = sorted({k for p in parts for k in p.keys})
    seen = sum(p.size for p in parts)
    keys, _ = _cut(union, limit)
    duplicates = sum(p.duplicates for p in parts) + max(0, seen - len(union))
    return FindKeys(keys, size=len(union), duplicates=duplicates)


def find_tags(parts: Iterable[FindTags], limit: int | None = None) -> FindTags:
    """Tag keys merged with the union of their values."""
    merged: dict[str, set[str]] = {}
    for part in parts:
        for key, values in part.tags.items():
            merged.setdefault(key, set()).update(values)
    keys, _ = _cut(sorted(merged), limit)
    return FindTags({k: tuple(sorted(merged[k])) for k in keys}, size=len(merged))


def tag_suggest(parts: Iterable[TagSuggest], limit: int | None = None) -> TagSuggest:
    """Dedupe by (key, value) keeping the best score; score desc, key, value."""
    best: dict[tuple[str, str], float] = {}
    for part in parts:
        for s in part.suggestions:
            best[(s.key, s.value)] = max(s.score, best.get((s.key, s.value), s.score))
    ordered = sorted(best.items(), key=lambda e: (-e[1], e[0][0], e[0][1]))
    items, _ = _cut([TagSuggestion(score, k, v) for (k, v), score in ordered], limit)
    return TagSuggest(items)


def key_suggest(parts: Iterable[KeySuggest], limit: int | None = None) -> KeySuggest:
    """Dedupe by key keeping the best score; score desc, key."""
    best: dict[str, float] = {}
    for part in parts:
        for s in part.suggestions:
            best[s.key] = max(s.score, best.get(s.key, s.score))
    ordered = sorted(best.items(), key=lambda e: (-e[1], e[0]))
    items, _ = _cut([KeySuggestion(score, key) for key, score in ordered], limit)
    return KeySuggest(items)


def tag_value_suggest(
    parts: Iterable[TagValueSuggest], limit: int | None = None
) -> TagValueSuggest:
    """Sorted union of values."""
    parts = list(parts)
    values, cut = _cut(sorted({v for p in parts for v in p.values}), limit)
    return TagValueSuggest(values, cut or any(p.limited for p in parts))


def tag_values_suggest(
    parts: Iterable[TagValuesSuggest], limit: int | None = None, group_limit: int | None = None
) -> TagValuesSuggest:
    """Per key the union of values (cut at ``group_limit``); most values first, then key."""
    parts = list(parts)
    values: dict[str, set[str]] = {}
    limited: dict[str, bool] = {}
    for part in parts:
        for s in part.suggestions:
            values.setdefault(s.key, set()).update(s.values)
            limited[s.key] = limited.get(s.key, False) or s.limited
    merged = []
    for key, value_set in values.items():
        kept, cut = _cut(sorted(value_set), group_limit)
        merged.append(TagValuesSuggestion(key, kept, limited[key] or cut))
    merged.sort(key=lambda s: (-len(s.values), s.key, s.values, s.limited))
    items, cut = _cut(merged, limit)
    return TagValuesSuggest(items, cut or any(p.limited for p in parts))


def tagkey_count(
    parts: Iterable[TagKeyCount], limit: int | None = None, exact_limit: int | None = None
) -> TagKeyCount:
    """Counts summed per key; exact values united while every part has them and the union
    stays within ``exact_limit``."""
    parts = list(parts)
    counts: dict[str, int] = {}
    exact: dict[str, set[str] | None] = {}
    for part in parts:
        for s in part.suggestions:
            first = s.key not in counts
            counts[s.key] = counts.get(s.key, 0) + s.count
            known = exact.get(s.key) if not first else set()
            if known is None or s.exact_values is None:
                exact[s.key] = None
            else:
                exact[s.key] = known | set(s.exact_values)
    merged = []
    for key in sorted(counts):
        values = exact[key]
        if values is not None and exact_limit is not None and len(values) > exact_limit:
            values = None
        shown = None if values is None else tuple(sorted(values))
        merged.append(TagKeyCountSuggestion(key, counts[key], shown))
    items, cut = _cut(merged, limit)
    return TagKeyCount(items, cut or any(p.limited for p in parts))
