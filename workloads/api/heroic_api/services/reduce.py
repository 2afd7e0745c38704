"""Merging metadata/suggest results of several backends (reference 2.9 reduction rules).

Upstream reduces per shard; this node reduces over the backends of the selected group with the
same rules, so one backend passes through unchanged (apart from the limit). Pure functions on
the result dataclasses of ``heroic_core.backends.results``; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def _cut(count: int, limit: int | None) -> int:
    return count if limit is None else min(count, limit)


def find_series(results: Sequence[FindSeries], limit: int | None) -> FindSeries:
    union: set[Series] = set()
    for r in results:
        union.update(r.series)
    ordered = sorted(union)
    limited = any(r.limited for r in results) or (limit is not None and len(ordered) > limit)
    return FindSeries(tuple(ordered[: _cut(len(ordered), limit)]), limited)


def count_series(results: Sequence[CountSeries]) -> CountSeries:
    return CountSeries(sum(r.count for r in results), any(r.limited for r in results))


def find_keys(results: Sequence[FindKeys], limit: int | None) -> FindKeys:
    union = sorted({k for r in results for k in r.keys})
    across = sum(len(r.keys) for r in results) - len(union)
    duplicates = sum(r.duplicates for r in results) + across
    size = max([len(union), *(r.size for r in results)])
    return FindKeys(tuple(union[: _cut(len(union), limit)]), size, duplicates)


def find_tags(results: Sequence[FindTags], limit: int | None) -> FindTags:
    merged: dict[str, set[str]] = {}
    for r in results:
        for key, values in r.tags.items():
            merged.setdefault(key, set()).update(values)
    keys = sorted(merged)[: _cut(len(merged), limit)]
    return FindTags({k: tuple(sorted(merged[k])) for k in keys}, len(merged))


def key_suggest(results: Sequence[KeySuggest], limit: int | None) -> KeySuggest:
    best: dict[str, KeySuggestion] = {}
    for r in results:
        for s in r.suggestions:
            if s.key not in best or s.score > best[s.key].score:
                best[s.key] = s
    ordered = sorted(best.values(), key=lambda s: (-s.score, s.key))
    return KeySuggest(tuple(ordered[: _cut(len(ordered), limit)]))


def tag_suggest(results: Sequence[TagSuggest], limit: int | None) -> TagSuggest:
    best: dict[tuple[str, str], TagSuggestion] = {}
    for r in results:
        for s in r.suggestions:
            pair = (s.key, s.value)
            if pair not in best or s.score > best[pair].score:
                best[pair] = s
    ordered = sorted(best.values(), key=lambda s: (-s.score, s.key, s.value))
    return TagSuggest(tuple(ordered[: _cut(len(ordered), limit)]))


def tag_value_suggest(results: Sequence[TagValueSuggest], limit: int | None) -> TagValueSuggest:
    union = sorted({v for r in results for v in r.values})
    limited = any(r.limited for r in results) or (limit is not None and len(union) > limit)
    return TagValueSuggest(tuple(union[: _cut(len(union), limit)]), limited)


def tag_values_suggest(
    results: Sequence[TagValuesSuggest], limit: int | None, group_limit: int | None
) -> TagValuesSuggest:
    values: dict[str, set[str]] = {}
    limited_keys: set[str] = set()
    for r in results:
        for s in r.suggestions:
            values.setdefault(s.key, set()).update(s.values)
            if s.limited:
                limited_keys.add(s.key)
    merged = []
    for key, vals in values.items():
        ordered = sorted(vals)
        over = group_limit is not None and len(ordered) > group_limit
        cut = tuple(ordered[: _cut(len(ordered), group_limit)])
        merged.append(TagValuesSuggestion(key, cut, key in limited_keys or over))
    merged.sort(key=lambda s: (-len(s.values), s.key, s.values, s.limited))
    limited = any(r.limited for r in results) or (limit is not None and len(merged) > limit)
    return TagValuesSuggest(tuple(merged[: _cut(len(merged), limit)]), limited)


def tagkey_count(
    results: Sequence[TagKeyCount], limit: int | None, exact_limit: int | None
) -> TagKeyCount:
    counts: dict[str, int] = {}
    exact: dict[str, set[str] | None] = {}
    for r in results:
        for s in r.suggestions:
            counts[s.key] = counts.get(s.key, 0) + s.count
            incoming = None if s.exact_values is None else set(s.exact_values)
            if s.key not in exact:
                exact[s.key] = incoming
            else:
                previous = exact[s.key]
                if previous is None or incoming is None:
                    exact[s.key] = None
                else:
                    exact[s.key] = previous | incoming
    merged = []
    for key, count in counts.items():
        values = exact.get(key)
        if values is not None and exact_limit is not None and len(values) > exact_limit:
            values = None
        merged.append(
            TagKeyCountSuggestion(key, count, None if values is None else tuple(sorted(values)))
        )
    merged.sort(key=lambda s: (s.key, s.count))
    limited = any(r.limited for r in results) or (limit is not None and len(merged) > limit)
    return TagKeyCount(tuple(merged[: _cut(len(merged), limit)]), limited)
