"""The JSON pieces of a query response: result groups (reference 2.6) and their summaries.

Given a group's key, its series and its data, build upstream's ``ShardedResultGroup`` JSON
(``hash``, ``key``, ``tags``/``tagCounts``, ``resource``/``resourceCounts`` ...), plus the
response-level ``commonTags``/``commonResource``. Pure functions; no backends, no aggregation.
"""

from __future__ import annotations

import functools
import math
import struct
from collections.abc import Mapping, Sequence
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
        if len(key) == 1:  # a group by one tag: the same hosts' groups, query after query
            ((name, value),) = key.items()
            return _one_entry_hash(self.prefix, name, value)
        data = b"".join([self.prefix, *_entries(key)]) if key else self.prefix
        return _hex_hash(data)


def _hex_hash(data: bytes) -> str:
    return format(mmh3.hash(data, 0, signed=False), "x")


@functools.lru_cache(maxsize=16_384)
def _one_entry_hash(prefix: bytes, name: str, value: str) -> str:
    return _hex_hash(b"".join((prefix, _ZERO, name.encode(), _ZERO, value.encode())))


class SeriesSummary:
    """Distinct key and tag/resource values over a set of series.

    The summary of one series (the usual group of a grouped query) keeps just the series:
    its sets are made only if asked for (a federated shard's answer), as the answer itself
    reads the series' own sorted tags."""

    __slots__ = ("_keys", "_resource", "_tags", "one")

    def __init__(
        self,
        keys: set[str] | None = None,
        tags: dict[str, set[str]] | None = None,
        resource: dict[str, set[str]] | None = None,
        one: Series | None = None,
    ) -> None:
        self._keys = keys if keys is not None or one is not None else set()
        self._tags = tags if tags is not None or one is not None else {}
        self._resource = resource if resource is not None or one is not None else {}
        #: The series when there is just one.
        self.one = one

    @property
    def keys(self) -> set[str]:
        if self._keys is None:
            self._keys = {self._only().key}
        return self._keys

    @property
    def tags(self) -> dict[str, set[str]]:
        if self._tags is None:
            self._tags = {k: {v} for k, v in self._only().tags.items()}
        return self._tags

    @property
    def resource(self) -> dict[str, set[str]]:
        if self._resource is None:
            self._resource = {k: {v} for k, v in self._only().resource.items()}
        return self._resource

    def _only(self) -> Series:
        assert self.one is not None  # noqa: S101 - sets are left unmade only for one series
        return self.one

    @classmethod
    def of(cls, series: Sequence[Series]) -> SeriesSummary:
        if len(series) == 1:
            return cls(one=series[0])
        keys: set[str] = set()
        tags: dict[str, set[str]] = {}
        resource: dict[str, set[str]] = {}
        for s in series:
            keys.add(s.key)
            for k, v in s.tags.items():
                tags.setdefault(k, set()).add(v)
            for k, v in s.resource.items():
                resource.setdefault(k, set()).add(v)
        return cls(keys, tags, resource)

    def to_json(self) -> dict[str, Any]:
        """``key``, ``tags``, ``tagCounts``, ``resource``, ``resourceCounts`` of a group."""
        if self.one is not None:
            return _one_series_fields(self.one)
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


def one_series_group(
    hasher: GroupHasher,
    shard: Mapping[str, str],
    key: Mapping[str, str],
    one: Series,
    *,
    metric_type: str,
    cadence: int,
    values: list[Any],
) -> dict[str, Any]:
    """``result_group`` of a group of one series, its fields made at once (no summary)."""
    return {
        "type": metric_type, "hash": hasher.hash(key), "shard": dict(shard), "cadence": cadence,
        "values": values, **_one_series_fields(one),
    }  # fmt: skip


def _one_series_fields(one: Series) -> dict[str, Any]:
    """``SeriesSummary.to_json`` of a group of the one series ``one`` (a series keeps its
    tags and resource sorted by name)."""
    return {"key": one.key, "tags": dict(one.tags), "tagCounts": {},
            "resource": dict(one.resource), "resourceCounts": {}}  # fmt: skip


def common_values(per_group: Sequence[Mapping[str, set[str]]]) -> dict[str, list[str]]:
    """Names present in every group, each with the sorted union of values; ``{}`` if none."""
    if not per_group:
        return {}
    names = set(per_group[0]).intersection(*per_group[1:])
    return {n: sorted(set().union(*(g[n] for g in per_group))) for n in sorted(names)}


def common_of(summaries: Sequence[SeriesSummary], *, resource: bool) -> dict[str, list[str]]:
    """``common_values`` of the summaries' tags (or resource); when every summary is of one
    series, straight from the series' own maps, without a set per tag."""
    if not all(s.one is not None for s in summaries):
        return common_values([s.resource if resource else s.tags for s in summaries])
    maps = [s.one.resource if resource else s.one.tags for s in summaries if s.one is not None]
    if not maps:
        return {}
    names = set(maps[0]).intersection(*maps[1:])
    return {n: sorted({m[n] for m in maps}) for n in sorted(names)}


def answer_values(answer: Mapping[str, Any]) -> int:
    """The values of every result group of a ``QueryMetricsResponse`` (what encoding costs)."""
    return sum(len(group["values"]) for group in answer["result"])


def finite_or_none(value: float) -> float | None:
    """Upstream writes non-finite doubles as ``null``."""
    return value if math.isfinite(value) else None
