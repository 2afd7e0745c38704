"""In-memory metadata backend (``type: memory``): a set of series searched with filters.

Filters are evaluated with ``Filter.matches`` (every operator, regex included), over the
series an index by key and by (tag, value) leaves as candidates for the filter's ``key`` and
``=`` terms (and/or of them), or over every series for other filters; a filter of only such
terms is answered by the indices alone. The indices hold series ids, not series: a str hashes
once and compares in C, where a ``Series`` calls Python's ``__hash__`` on every insert (a
consumer indexes 100,000 new series at once). Two different series can share an id (it has no
separators); the later ones wait in ``_collided`` and are always checked with ``matches``,
since the indices cannot tell which series of an id has a tag. An index entry of one id is
that id itself, not a set of one (most ``host`` values name one series: a set each was a
tenth of a new series' indexing, and 200 bytes); every reader takes both. Like upstream's
memory backend it ignores the request ``range``: every series ever written matches. Results are
sorted in series order so that limits cut deterministically. Nothing is persisted.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

from heroic_core.backends.base import (
    ConfigureResult,
    CountSeries,
    FindKeys,
    FindSeries,
    FindTags,
)
from heroic_core.filters import And, MatchKey, MatchTag, Or
from heroic_core.limits import check_limit
from heroic_core.model import DateRange, Series

if TYPE_CHECKING:
    from heroic_core.filters import Filter

_K = TypeVar("_K")
#: The ids of an index entry: one id itself, or a set of several.
_Ids = str | set[str]


def _add(index: dict[_K, _Ids], key: _K, sid: str) -> None:
    members = index.setdefault(key, sid)
    if members is sid:
        return
    if isinstance(members, set):
        members.add(sid)
    elif members != sid:
        index[key] = {members, sid}


def _drop(index: dict[_K, _Ids], key: _K, sid: str) -> None:
    members = index.get(key)
    if members is None:
        return
    if isinstance(members, str):
        if members == sid:
            del index[key]
        return
    members.discard(sid)
    if not members:
        del index[key]


def _ids(members: _Ids | None) -> set[str]:
    """The ids of an index entry as a set (the entry's own set: not to be changed)."""
    if members is None:
        return set()
    return {members} if isinstance(members, str) else members


def _indexed(filter: Filter) -> bool:
    """Whether the indices answer ``filter`` exactly (``key`` and ``=`` terms, and/or of them):
    its candidates need no ``matches`` then."""
    if isinstance(filter, MatchKey | MatchTag):
        return True
    if isinstance(filter, And | Or):
        return all(_indexed(term) for term in filter.terms)
    return False


class MemoryMetadataBackend:
    """Metadata backend keeping every written series in process memory."""

    def __init__(self, id: str = "memory", groups: Iterable[str] = ("memory",)) -> None:
        self._id = id
        self._groups = frozenset(groups)
        self._lock = threading.Lock()
        #: Every series by id; a later different series with the same id is in _collided.
        self._series: dict[str, Series] = {}
        self._collided: dict[str, list[Series]] = {}
        self._by_key: dict[str, _Ids] = {}
        self._by_tag: dict[tuple[str, str], _Ids] = {}

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
        """Index many series under one lock hold."""
        self._index([series for series, _ in items])

    def _index(self, written: list[Series]) -> None:
        with self._lock:
            by_id, by_key, by_tag = self._series, self._by_key, self._by_tag
            setdefault = by_tag.setdefault
            for series in written:
                sid = series.id
                known = by_id.get(sid)
                if known is None:
                    by_id[sid] = series
                elif known is series or known == series:
                    continue
                else:
                    others = self._collided.setdefault(sid, [])
                    if series in others:
                        continue
                    others.append(series)
                _add(by_key, series.key, sid)
                # _add's body, inlined (a call per tag is 0.1 us): the two must stay alike.
                for tag in series.tags.items():
                    members = setdefault(tag, sid)
                    if members is sid:
                        continue
                    if isinstance(members, set):
                        members.add(sid)
                    elif members != sid:
                        by_tag[tag] = {members, sid}

    def _all(self) -> list[Series]:
        return [*self._series.values(), *(s for more in self._collided.values() for s in more)]

    def _candidates(self, filter: Filter) -> set[str] | None:
        """The ids of a superset of the series ``filter`` matches, from the indices; None:
        every one."""
        if isinstance(filter, MatchKey):
            return _ids(self._by_key.get(filter.key))
        if isinstance(filter, MatchTag):
            return _ids(self._by_tag.get((filter.tag, filter.value)))
        if isinstance(filter, And):
            known = [c for c in map(self._candidates, filter.terms) if c is not None]
            return set.intersection(*sorted(known, key=len)) if known else None
        if isinstance(filter, Or):
            union: set[str] = set()
            for term in filter.terms:
                part = self._candidates(term)
                if part is None:
                    return None
                union |= part
            return union
        return None

    def _matching(self, filter: Filter) -> list[Series]:
        with self._lock:
            candidates = self._candidates(filter)
            if candidates is None:
                snapshot, suspects = self._all(), []
            else:
                by_id, collided = self._series, self._collided
                snapshot = [by_id[sid] for sid in candidates if sid not in collided]
                suspects = [
                    s for sid in candidates if sid in collided for s in (by_id[sid], *collided[sid])
                ]
        if candidates is None or not _indexed(filter):
            snapshot = [s for s in snapshot if filter.matches(s)]
        snapshot += [s for s in suspects if filter.matches(s)]
        return sorted(snapshot, key=Series.sort_key)

    async def find_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindSeries:
        check_limit(limit)
        found = self._matching(filter)
        if limit is not None and len(found) > limit:
            return FindSeries(tuple(found[:limit]), limited=True)
        return FindSeries(tuple(found), limited=False)

    async def count_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> CountSeries:
        check_limit(limit)
        count = len(self._matching(filter))
        if limit is not None and count > limit:
            return CountSeries(limit, limited=True)
        return CountSeries(count, limited=False)

    async def delete_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> int:
        check_limit(limit)
        doomed = self._matching(filter)
        if limit is not None:
            doomed = doomed[:limit]
        with self._lock:
            return sum(self._forget(series) for series in doomed)

    def _forget(self, series: Series) -> bool:
        """Remove ``series`` (the caller holds the lock); False when it is not here. The id
        stays in the indices under the keys and tags of a series still sharing it."""
        sid = series.id
        same = [s for s in (self._series.get(sid), *self._collided.get(sid, ())) if s is not None]
        rest = [s for s in same if s != series]
        if len(rest) == len(same):
            return False
        if rest:
            self._series[sid] = rest[0]
            if len(rest) > 1:
                self._collided[sid] = rest[1:]
            else:
                self._collided.pop(sid, None)
        else:
            del self._series[sid]
        if all(s.key != series.key for s in rest):
            _drop(self._by_key, series.key, sid)
        for tag in series.tags.items():
            if all(s.tags.get(tag[0]) != tag[1] for s in rest):
                _drop(self._by_tag, tag, sid)
        return True

    async def find_keys(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindKeys:
        """Distinct keys (sorted, at most ``limit``); ``size`` counts all distinct keys and
        ``duplicates`` the matching series whose key was already seen."""
        check_limit(limit)
        found = self._matching(filter)
        keys = sorted({s.key for s in found})
        shown = keys if limit is None else keys[:limit]
        return FindKeys(tuple(shown), size=len(keys), duplicates=len(found) - len(keys))

    async def find_tags(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindTags:
        """Tag keys (sorted, at most ``limit``) with all their values; ``size`` counts all keys."""
        check_limit(limit)
        tags: dict[str, set[str]] = {}
        for series in self._matching(filter):
            for key, value in series.tags.items():
                tags.setdefault(key, set()).add(value)
        keys = sorted(tags)
        shown = keys if limit is None else keys[:limit]
        return FindTags({k: tuple(sorted(tags[k])) for k in shown}, size=len(keys))
