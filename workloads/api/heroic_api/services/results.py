"""The JSON pieces of a query response: result groups (reference 2.6) and their summaries.

Given a group's key, its series and its data, build upstream's ``ShardedResultGroup`` JSON
(``hash``, ``key``, ``tags``/``tagCounts``, ``resource``/``resourceCounts`` ...), plus the
response-level ``commonTags``/``commonResource``. Pure functions; no backends, no aggregation.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import mmh3

from heroic_core.model import Series

_ZERO = struct.pack("<i", 0)


def group_hash(shard: Mapping[str, str], key: Mapping[str, str]) -> str:
    """Upstream result-group hash: murmur3_32 over shard then key entries, unsigned hex.

    Entries are hashed in sorted order (upstream iterates a ``HashMap`` for multi-entry keys,
    reference 13.7; only uniqueness matters to clients).
    """
    return GroupHasher(shard).hash(key)


def _entries(entries: Mapping[str, str]) -> list[bytes]:
    parts: list[bytes] = []
    for k, v in sorted(entries.items()):
        parts += (_ZERO, k.encode(), _ZERO, v.encode())
    return parts


class GroupHasher:
    """``group_hash`` for one shard, its part of the hashed bytes made once per query."""

    def __init__(self, shard: Mapping[str, str]) -> None:
        self.prefix = b"".join([*_entries(shard), _ZERO])

    def hash(self, key: Mapping[str, str]) -> str:
        data = b"".join([self.prefix, *_entries(key)]) if key else self.prefix
        return format(mmh3.hash(data, 0, signed=False), "x")


@dataclass(slots=True)
class SeriesSummary:
    """Distinct key and tag/resource values over a set of series."""

    keys: set[str] = field(default_factory=set)
    tags: dict[str, set[str]] = field(default_factory=dict)
    resource: dict[str, set[str]] = field(default_factory=dict)
    #: The series when there is just one (the usual group of a grouped query).
    one: Series | None = None

    @classmethod
    def of(cls, series: Sequence[Series]) -> SeriesSummary:
        if len(series) == 1:
            (one,) = series
            return cls(
                {one.key},
                {k: {v} for k, v in one.tags.items()},
                {k: {v} for k, v in one.resource.items()},
                one,
            )
        summary = cls()
        for s in series:
            summary.keys.add(s.key)
            for k, v in s.tags.items():
                summary.tags.setdefault(k, set()).add(v)
            for k, v in s.resource.items():
                summary.resource.setdefault(k, set()).add(v)
        return summary

    def to_json(self) -> dict[str, Any]:
        """``key``, ``tags``, ``tagCounts``, ``resource``, ``resourceCounts`` of a group."""
        one = self.one
        if one is not None:  # a series keeps its tags and resource sorted by name
            return {"key": one.key, "tags": dict(one.tags), "tagCounts": {},
                    "resource": dict(one.resource), "resourceCounts": {}}  # fmt: skip
        tags, tag_counts = _split(self.tags)
        resource, resource_counts = _split(self.resource)
        return {
            "key": next(iter(self.keys)) if len(self.keys) == 1 else None,
            "tags": tags,
            "tagCounts": tag_counts,
            "resource": resource,
            "resourceCounts": resource_counts,
        }


def _split(values: Mapping[str, set[str]]) -> tuple[dict[str, str], dict[str, int]]:
    single: dict[str, str] = {}
    counts: dict[str, int] = {}
    for name in sorted(values):
        distinct = values[name]
        if len(distinct) == 1:
            single[name] = next(iter(distinct))
        else:
            counts[name] = len(distinct)
    return single, counts


def result_group(
    *,
    shard: Mapping[str, str],
    key: Mapping[str, str],
    summary: SeriesSummary,
    metric_type: str,
    cadence: int,
    values: list[Any],
    hasher: GroupHasher | None = None,
) -> dict[str, Any]:
    """One ``ShardedResultGroup`` in upstream field order (``hasher``: made for ``shard``)."""
    return {
        "type": metric_type,
        "hash": (hasher or GroupHasher(shard)).hash(key),
        "shard": dict(shard),
        "cadence": cadence,
        "values": values,
        **summary.to_json(),
    }


def common_values(per_group: Sequence[Mapping[str, set[str]]]) -> dict[str, list[str]]:
    """Names present in every group, each with the sorted union of values; ``{}`` if none."""
    if not per_group:
        return {}
    names = set(per_group[0]).intersection(*per_group[1:])
    return {n: sorted(set().union(*(g[n] for g in per_group))) for n in sorted(names)}


def answer_values(answer: Mapping[str, Any]) -> int:
    """The values of every result group of a ``QueryMetricsResponse`` (what encoding costs)."""
    return sum(len(group["values"]) for group in answer["result"])


def finite_or_none(value: float) -> float | None:
    """Upstream writes non-finite doubles as ``null``."""
    return value if math.isfinite(value) else None
