"""The node protocol's metadata operations: which public ``/metadata/*`` call each one is, how a
shard's JSON answer decodes into result values, and how the answers of all shards reduce
(upstream's rules, ``heroic_core.backends.reduce``).

A shard answers an operation exactly as its public endpoint would; the federating node decodes
each answer, reduces them, and adds the ``shard`` errors of the shards that failed. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from heroic_core.backends import reduce
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
from heroic_core.limits import DEFAULT_TAGKEY_COUNT_EXACT_LIMIT
from heroic_core.model import Series


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits a reduction applies (the request's, after defaults)."""

    limit: int | None
    group_limit: int | None = None


@dataclass(frozen=True, slots=True)
class Operation:
    """One metadata operation: the service method that answers it locally, its default
    limit, and how to decode and reduce shard answers."""

    method: str
    default_limit: int | None
    decode: Callable[[dict[str, Any]], Any] | None
    reduce: Callable[[Sequence[Any], Limits], Any] | None


def _series(obj: dict[str, Any]) -> FindSeries:
    return FindSeries(tuple(Series.from_json(s) for s in obj["series"]), bool(obj["limited"]))


def _count(obj: dict[str, Any]) -> CountSeries:
    return CountSeries(int(obj["count"]), bool(obj["limited"]))


def _keys(obj: dict[str, Any]) -> FindKeys:
    return FindKeys(tuple(obj["keys"]), int(obj["size"]), int(obj["duplicates"]))


def _tags(obj: dict[str, Any]) -> FindTags:
    return FindTags({k: tuple(v) for k, v in obj["tags"].items()}, int(obj["size"]))


def _key_suggest(obj: dict[str, Any]) -> KeySuggest:
    return KeySuggest(tuple(KeySuggestion(float(s["score"]), s["key"]) for s in obj["suggestions"]))


def _tag_suggest(obj: dict[str, Any]) -> TagSuggest:
    return TagSuggest(
        tuple(TagSuggestion(float(s["score"]), s["key"], s["value"]) for s in obj["suggestions"])
    )


def _tag_value_suggest(obj: dict[str, Any]) -> TagValueSuggest:
    return TagValueSuggest(tuple(obj["values"]), bool(obj["limited"]))


def _tag_values_suggest(obj: dict[str, Any]) -> TagValuesSuggest:
    items = tuple(
        TagValuesSuggestion(s["key"], tuple(s["values"]), bool(s["limited"]))
        for s in obj["suggestions"]
    )
    return TagValuesSuggest(items, bool(obj["limited"]))


def _tagkey_count(obj: dict[str, Any]) -> TagKeyCount:
    items = tuple(
        TagKeyCountSuggestion(
            s["key"],
            int(s["count"]),
            None if s.get("exactValues") is None else tuple(s["exactValues"]),
        )
        for s in obj["suggestions"]
    )
    return TagKeyCount(items, bool(obj["limited"]))


SERIES_LIMIT = 50
SUGGEST_LIMIT = 10

#: ``/metadata/<name>`` -> operation. ``delete-series`` is ``DELETE /metadata/series``.
OPERATIONS: dict[str, Operation] = {
    "series": Operation(
        "find_series", SERIES_LIMIT, _series, lambda p, lim: reduce.find_series(p, lim.limit)
    ),
    "series-count": Operation("count_series", None, _count, lambda p, _: reduce.count_series(p)),
    "keys": Operation(
        "find_keys", SERIES_LIMIT, _keys, lambda p, lim: reduce.find_keys(p, lim.limit)
    ),
    "tags": Operation(
        "find_tags", SERIES_LIMIT, _tags, lambda p, lim: reduce.find_tags(p, lim.limit)
    ),
    "key-suggest": Operation(
        "key_suggest", SUGGEST_LIMIT, _key_suggest, lambda p, lim: reduce.key_suggest(p, lim.limit)
    ),
    "tag-suggest": Operation(
        "tag_suggest", SUGGEST_LIMIT, _tag_suggest, lambda p, lim: reduce.tag_suggest(p, lim.limit)
    ),
    "tag-value-suggest": Operation(
        "tag_value_suggest",
        SUGGEST_LIMIT,
        _tag_value_suggest,
        lambda p, lim: reduce.tag_value_suggest(p, lim.limit),
    ),
    "tag-values-suggest": Operation(
        "tag_values_suggest",
        SUGGEST_LIMIT,
        _tag_values_suggest,
        lambda p, lim: reduce.tag_values_suggest(p, lim.limit, lim.group_limit),
    ),
    "tagkey-count": Operation(
        "tagkey_count",
        SUGGEST_LIMIT,
        _tagkey_count,
        lambda p, lim: reduce.tagkey_count(p, lim.limit, DEFAULT_TAGKEY_COUNT_EXACT_LIMIT),
    ),
    "delete-series": Operation("delete_series", None, None, None),
}


@dataclass(frozen=True, slots=True)
class Deleted:
    deleted: int
    failed: int


@dataclass(frozen=True, slots=True)
class ShardMetadata:
    """A decoded shard answer: its result value and its own ``errors``."""

    result: Any
    errors: list[Any]


def decode_answer(name: str, obj: Any) -> ShardMetadata:
    """Decode one shard's answer to ``name``; ``ValueError`` when it is malformed."""
    operation = OPERATIONS[name]
    try:
        errors = list(obj.get("errors", []))
        if operation.decode is None:
            return ShardMetadata(Deleted(int(obj["deleted"]), int(obj["failed"])), errors)
        return ShardMetadata(operation.decode(obj), errors)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValueError(f"malformed answer to /metadata/{name}: {exc!r}") from None


def reduce_answers(name: str, answers: Sequence[ShardMetadata], limits: Limits) -> dict[str, Any]:
    """The public answer from every shard's decoded answer (without ``errors``)."""
    operation = OPERATIONS[name]
    results = [a.result for a in answers]
    if operation.reduce is None:  # delete: upstream sums what each shard deleted and failed
        return {
            "deleted": sum(r.deleted for r in results),
            "failed": sum(r.failed for r in results),
        }
    reduced: dict[str, Any] = operation.reduce(results, limits).to_json()
    return reduced
