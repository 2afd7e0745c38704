"""Backend interfaces: the metric, metadata and suggest ``Protocol``s every store implements.

All operations are async. Implementations live in sibling modules (``memory``, and later
``bigtable``, ``datastax``, ``elasticsearch``); ``factory.build_backends`` creates them from the
config. This module defines shapes only: no I/O, no implementation, no cross-shard reduction.

Conventions shared by every implementation (checked by ``tests/contract``):

* ``MetricBackend.fetch`` reads the window ``(range.start, range.end]`` and returns points sorted
  by timestamp; re-writing a timestamp overwrites it.
* ``limit=None`` means unlimited for metadata operations and "the backend's default" for
  suggest operations; a result is ``limited`` when more matches existed than were returned.
* ``configure()`` is idempotent and reports what it created versus what already existed.
* Bad input (an unsupported filter for the store, say) raises ``heroic_core.errors.HeroicError``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from heroic_core.backends.keyspace import BackendKey, KeyRange, UnreadableKey
from heroic_core.backends.results import (
    ConfigureResult,
    CountSeries,
    FindKeys,
    FindSeries,
    FindTags,
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
from heroic_core.limits import DEFAULT_TAGKEY_COUNT_EXACT_LIMIT
from heroic_core.model import DateRange, Distributions, Points, Series, SeriesBatch

if TYPE_CHECKING:
    from heroic_core.filters import Filter

__all__ = [
    "Backend",
    "BackendKey",
    "BatchMetricWriter",
    "BulkIndexWriter",
    "BulkMetricWriter",
    "ConfigureResult",
    "CountSeries",
    "DistributionStore",
    "FindKeys",
    "FindSeries",
    "FindTags",
    "KeyCodec",
    "KeyRange",
    "KeyScanner",
    "KeySuggest",
    "KeySuggestion",
    "MatchOptions",
    "MetadataBackend",
    "MetricBackend",
    "SuggestBackend",
    "TagKeyCount",
    "TagKeyCountSuggestion",
    "TagSuggest",
    "TagSuggestion",
    "TagValueSuggest",
    "TagValuesSuggest",
    "TagValuesSuggestion",
    "UnreadableKey",
]


@runtime_checkable
class Backend(Protocol):
    """What every backend has: identity, groups and a lifecycle."""

    @property
    def id(self) -> str:
        """The configured ``id`` (or a generated one)."""
        ...

    @property
    def groups(self) -> frozenset[str]:
        """The groups this backend belongs to (``?group=`` selects by these)."""
        ...

    async def is_ready(self) -> bool:
        """True once the backend can serve requests."""
        ...

    async def configure(self) -> ConfigureResult:
        """Create tables/templates/keyspaces if missing; idempotent."""
        ...

    async def close(self) -> None:
        """Release connections; the backend must not be used afterwards."""
        ...


@runtime_checkable
class MetricBackend(Backend, Protocol):
    """Stores and reads data points per series."""

    async def write(self, series: Series, points: Points) -> None:
        """Store points; an existing timestamp is overwritten."""
        ...

    async def fetch(self, series: Series, range: DateRange) -> Points:
        """Points of exactly ``series`` in ``(range.start, range.end]``, sorted."""
        ...


@runtime_checkable
class InProcessReads(Protocol):
    """A metric backend whose ``fetch`` answers from process memory without waiting (the
    memory backend). Optional: a query then runs its fetches one after another in one task
    instead of a task per fetch, which only pays off when a fetch waits for I/O."""

    @property
    def reads_in_process(self) -> bool:
        """True: ``fetch`` never waits."""
        ...


@runtime_checkable
class BulkMetricWriter(Protocol):
    """A metric backend that can store the points of many series in one request.

    Optional: writers use it where a backend offers it (Bigtable's ``MutateRows``) and fall back
    to ``MetricBackend.write`` per series otherwise."""

    async def write_many(self, items: Sequence[tuple[Series, Points]]) -> None:
        """Store every item's points; on an error some may be stored, and the whole call may be
        retried (a re-written timestamp is overwritten)."""
        ...


@runtime_checkable
class BatchMetricWriter(Protocol):
    """A metric backend that stores a whole ``SeriesBatch`` in one call, cheaper than a call per
    series (the memory backend). Optional, like ``BulkMetricWriter``."""

    async def write_batch(self, batch: SeriesBatch) -> None:
        """Store every series' points; a re-written timestamp is overwritten, so a failed call
        may be retried whole."""
        ...


@runtime_checkable
class BulkIndexWriter(Protocol):
    """A metadata or suggest backend that indexes many series in one request (Elasticsearch's
    ``_bulk``). Optional: writers fall back to ``write`` per series."""

    async def write_many(self, items: Sequence[tuple[Series, DateRange]]) -> None:
        """Index every item; on an error some may be indexed, and the whole call may be retried
        (indexing is idempotent)."""
        ...


@runtime_checkable
class DistributionStore(Protocol):
    """A metric backend that also stores distribution points (upstream: Bigtable's
    ``distributionPoints`` family, and memory). Optional; backends without it store points only,
    as upstream's Cassandra backend does."""

    async def write_distributions(self, series: Series, points: Distributions) -> None:
        """Store distribution points; an existing timestamp is overwritten."""
        ...

    async def fetch_distributions(self, series: Series, range: DateRange) -> Distributions:
        """Distribution points of exactly ``series`` in ``(range.start, range.end]``, sorted."""
        ...


@runtime_checkable
class KeyScanner(MetricBackend, Protocol):
    """A metric backend whose rows can be listed, counted, read and deleted one by one
    (upstream's ``streamKeys``/``countKey``/``fetchRow``/``deleteKey``: the shell's ``keys``,
    ``count-data``, ``delete-keys`` and ``data-migrate``). Optional."""

    def scan_keys(self, keys: KeyRange) -> AsyncIterator[BackendKey | UnreadableKey]:
        """Row keys of points in ``keys``, in the backend's key order; a stored key that does
        not decode is yielded as ``UnreadableKey``. Bounds it cannot honour (a token where
        there is no token ring) raise ``RequestError`` before the first key."""
        ...

    async def count_key(self, key: BackendKey) -> int:
        """Number of points stored in the row of ``key`` (0 if there is none)."""
        ...

    async def fetch_key(self, key: BackendKey, range: DateRange) -> Points:
        """Points of the row of ``key`` that fall in ``(range.start, range.end]``, sorted."""
        ...

    async def delete_key(self, key: BackendKey) -> None:
        """Delete every point of the row of ``key``; deleting a missing row is no error."""
        ...


@runtime_checkable
class KeyCodec(MetricBackend, Protocol):
    """A metric backend with a byte layout for its row keys (the shell's ``serialize-key``
    and ``deserialize-key``). Optional: the memory backend keeps no serialized keys."""

    def serialize_key(self, key: BackendKey) -> bytes:
        """The stored row key of ``key``."""
        ...

    def deserialize_key(self, data: bytes) -> BackendKey:
        """The key stored as ``data``; ``SerialError`` (a ``ValueError``) if it does not
        decode."""
        ...


@runtime_checkable
class MetadataBackend(Backend, Protocol):
    """Indexes series so that filters can find them."""

    async def write(self, series: Series, range: DateRange) -> None:
        """Index ``series`` as seen during ``range``."""
        ...

    async def find_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindSeries:
        """Matching series, sorted, at most ``limit``."""
        ...

    async def count_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> CountSeries:
        """Number of matching series (capped at ``limit``, then ``limited``)."""
        ...

    async def delete_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> int:
        """Delete matching series; returns how many were deleted."""
        ...

    async def find_keys(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindKeys:
        """Distinct keys of matching series, sorted, at most ``limit``."""
        ...

    async def find_tags(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindTags:
        """Tag keys (at most ``limit``) of matching series with all their values."""
        ...


@runtime_checkable
class SuggestBackend(Backend, Protocol):
    """Answers the suggest endpoints of ``/metadata`` (upstream semantics of section 9.2)."""

    async def write(self, series: Series, range: DateRange) -> None:
        """Index ``series`` (key and tags; resource is never indexed)."""
        ...

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
        """(key, value) pairs matching the partial ``key``/``value``, best score first."""
        ...

    async def key_suggest(
        self,
        filter: Filter,
        range: DateRange,
        limit: int | None = None,
        *,
        key: str | None = None,
        match: MatchOptions | None = None,
    ) -> KeySuggest:
        """Series keys matching the partial ``key``, best score first."""
        ...

    async def tag_value_suggest(
        self,
        filter: Filter,
        range: DateRange,
        limit: int | None = None,
        *,
        key: str | None = None,
    ) -> TagValueSuggest:
        """Sorted values of tag ``key`` (all tags when ``key`` is empty) among matches."""
        ...

    async def tag_values_suggest(
        self,
        filter: Filter,
        range: DateRange,
        limit: int | None = None,
        *,
        group_limit: int | None = None,
        exclude: Sequence[str] = (),
    ) -> TagValuesSuggest:
        """Per tag key (minus ``exclude``) its values, at most ``group_limit`` each."""
        ...

    async def tagkey_count(
        self,
        filter: Filter,
        range: DateRange,
        limit: int | None = None,
        *,
        exact_limit: int | None = DEFAULT_TAGKEY_COUNT_EXACT_LIMIT,
    ) -> TagKeyCount:
        """Per tag key the number of distinct values, with the values when few enough."""
        ...
