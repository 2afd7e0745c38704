"""``ElasticsearchMetadataBackend`` (``type: elasticsearch``, reference 9.1).

One document per series and write index (id = series hash, ``op_type=create``; a version
conflict means "already there"). Series lookups page with ``search_after`` on ``hash``; keys
and tags come from composite aggregations, so ``size`` and the tag values are exact. Writes are
de-duplicated by a write cache and throttled to ``writesPerSecond``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from heroic_core.backends.elasticsearch.cache import RateLimiter, WriteCache
from heroic_core.backends.elasticsearch.connection import Connection, create_documents
from heroic_core.backends.elasticsearch.documents import (
    metadata_document,
    series_from_metadata,
    split_tag,
)
from heroic_core.backends.elasticsearch.filters import filter_query
from heroic_core.backends.elasticsearch.mappings import METADATA_TYPE, METADATA_TYPES
from heroic_core.backends.errors import BackendUnavailableError
from heroic_core.backends.results import (
    ConfigureResult,
    CountSeries,
    FindKeys,
    FindSeries,
    FindTags,
)
from heroic_core.config.elasticsearch import ElasticsearchMetadataConfig, RotatingIndexConfig
from heroic_core.limits import check_limit
from heroic_core.model import DateRange, Series

if TYPE_CHECKING:
    from heroic_core.filters import Filter

COMPOSITE_PAGE = 1000
DELETE_CHUNK = 1000


class ElasticsearchMetadataBackend:
    """A ``MetadataBackend`` over rotating (or single) ``metadata`` indices."""

    def __init__(self, config: ElasticsearchMetadataConfig) -> None:
        self.config = config
        self._id = config.id or "elasticsearch-metadata"
        self._groups = frozenset(config.groups)
        self.connection = Connection(
            config.connection,
            config.effective_template_name(),
            METADATA_TYPES,
            auto_configure=config.configure,
        )
        self._cache = WriteCache(
            config.write_cache_duration_minutes * 60.0, config.write_cache_max_size
        )
        self._limiter = RateLimiter(config.writes_per_second)
        self._dynamic = (
            isinstance(config.connection.index, RotatingIndexConfig)
            and config.connection.index.support_dynamic_max_read_indices
        )

    @property
    def id(self) -> str:
        return self._id

    @property
    def groups(self) -> frozenset[str]:
        return self._groups

    async def is_ready(self) -> bool:
        return await self.connection.is_ready()

    async def configure(self) -> ConfigureResult:
        return await self.connection.configure()

    async def refresh(self) -> None:
        await self.connection.refresh()

    async def close(self) -> None:
        await self.connection.close()

    async def write(self, series: Series, range: DateRange) -> None:
        """Index ``series`` into every write index it is not known to be in."""
        doc = metadata_document(series, index_resource=True)
        for index in self.connection.write_indices(METADATA_TYPE):
            cache_key = (index, series.id)
            if not self._cache.acquire(cache_key):
                continue
            await self._limiter.acquire()
            try:
                await self.connection.call("write", partial(self._create, index, series.id, doc))
            except BaseException:
                self._cache.forget(cache_key)
                raise

    async def write_many(self, items: Sequence[tuple[Series, DateRange]]) -> None:
        """Index many series with one ``_bulk`` request per write index, leaving out those the
        write cache holds; on a failure none of them counts as written (a retry re-sends them,
        and documents already there are conflicts, not failures)."""
        for index in self.connection.write_indices(METADATA_TYPE):
            chosen = [s for s, _ in items if self._cache.acquire((index, s.id))]
            if not chosen:
                continue
            await self._limiter.acquire(len(chosen))
            actions: list[dict[str, Any]] = []
            for series in chosen:
                actions.append({"create": {"_index": index, "_id": series.id}})
                actions.append(metadata_document(series, index_resource=True))
            try:
                await self.connection.call(
                    "write", partial(create_documents, self.connection.client, actions, "metadata")
                )
            except BaseException:
                for series in chosen:
                    self._cache.forget((index, series.id))
                raise

    async def _create(self, index: str, doc_id: str, doc: dict[str, Any]) -> None:
        # False when already indexed: upstream counts this as a duplicate, not a failure
        await self.connection.client.create(index, doc_id, doc)

    def _start(self, range: DateRange) -> int | None:
        return range.start if self._dynamic else None

    async def _search(self, body: dict[str, Any], range: DateRange) -> Any:
        return await self.connection.search(METADATA_TYPE, body, self._start(range))

    async def _hits(
        self, filter: Filter, range: DateRange, page: int, source: bool = True
    ) -> AsyncIterator[dict[str, Any]]:
        """Every matching document in ``hash`` order, ``page`` at a time (callers may stop)."""
        body: dict[str, Any] = {
            "query": {"bool": {"must": [filter_query(filter)]}},
            "size": max(1, min(page, self.config.scroll_size)),
            "sort": [{"hash": "asc"}],
            "_source": source,
        }
        while True:
            hits = (await self._search(body, range))["hits"]["hits"]
            for hit in hits:
                yield hit
            if len(hits) < body["size"]:
                return
            body["search_after"] = hits[-1]["sort"]
            body["size"] = self.config.scroll_size

    async def find_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindSeries:
        check_limit(limit)
        found: set[Series] = set()
        page = self.config.scroll_size if limit is None else limit + 1
        async for hit in self._hits(filter, range, page):
            found.add(series_from_metadata(hit["_source"]))
            if limit is not None and len(found) > limit:
                break
        ordered = sorted(found)
        if limit is not None and len(ordered) > limit:
            return FindSeries(tuple(ordered[:limit]), limited=True)
        return FindSeries(tuple(ordered), limited=False)

    async def count_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> CountSeries:
        check_limit(limit)
        body: dict[str, Any] = {
            "query": {"bool": {"must": [filter_query(filter)]}},
            "size": 0,
            "track_total_hits": True if limit is None else limit + 1,
        }
        total = int((await self._search(body, range))["hits"]["total"]["value"])
        if limit is not None and total > limit:
            return CountSeries(limit, limited=True)
        return CountSeries(total, limited=False)

    async def delete_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> int:
        """Delete the matching series from every read index; returns how many series."""
        check_limit(limit)
        ids: dict[str, None] = {}
        page = self.config.scroll_size if limit is None else limit
        if limit != 0:
            async for hit in self._hits(filter, range, page, source=False):
                ids[hit["_id"]] = None
                if limit is not None and len(ids) >= limit:
                    break
        for chunk in _chunks(list(ids), DELETE_CHUNK):
            await self._delete(chunk, range)
        return len(ids)

    async def _delete(self, ids: list[str], range: DateRange) -> None:
        """Delete every copy of ``ids`` (one per read index holding it) with one bulk request."""
        indices = self.connection.read_indices(METADATA_TYPE, self._start(range))
        body = {
            "query": {"ids": {"values": ids}},
            "size": len(ids) * len(indices),
            "_source": False,
        }
        hits = (await self._search(body, range))["hits"]["hits"]
        if not hits:
            return
        actions = [{"delete": {"_index": h["_index"], "_id": h["_id"]}} for h in hits]
        response = await self.connection.call(
            "delete", partial(self.connection.client.bulk, actions)
        )
        failed = [
            i["delete"] for i in response["items"] if i["delete"].get("status") not in (200, 404)
        ]
        if failed:
            raise BackendUnavailableError(
                f"deleting {len(failed)} metadata documents failed: {failed[0]}"
            )

    async def _composite(
        self, filter: Filter, range: DateRange, field: str
    ) -> AsyncIterator[tuple[str, int]]:
        """Every distinct value of ``field`` among matches, with its document count."""
        after: dict[str, Any] | None = None
        while True:
            source: dict[str, Any] = {"size": COMPOSITE_PAGE, "sources": [_terms_source(field)]}
            if after is not None:
                source["after"] = after
            body = {
                "query": {"bool": {"must": [filter_query(filter)]}},
                "size": 0,
                "aggs": {"values": {"composite": source}},
            }
            result = await self.connection.search(METADATA_TYPE, body, self._start(range))
            agg = (result.get("aggregations") or {}).get("values") or {}
            buckets = agg.get("buckets") or []
            for bucket in buckets:
                yield str(bucket["key"]["v"]), int(bucket["doc_count"])
            after = agg.get("after_key")
            if not buckets or after is None:
                return

    async def find_keys(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindKeys:
        check_limit(limit)
        counts = {key: n async for key, n in self._composite(filter, range, "key")}
        keys = sorted(counts)
        shown = keys if limit is None else keys[:limit]
        return FindKeys(tuple(shown), size=len(keys), duplicates=sum(counts.values()) - len(keys))

    async def find_tags(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindTags:
        check_limit(limit)
        tags: dict[str, set[str]] = {}
        async for pair, _ in self._composite(filter, range, "tags"):
            key, value = split_tag(pair)
            tags.setdefault(key, set()).add(value)
        keys = sorted(tags)
        shown = keys if limit is None else keys[:limit]
        return FindTags({k: tuple(sorted(tags[k])) for k in shown}, size=len(keys))


def _terms_source(field: str) -> dict[str, Any]:
    return {"v": {"terms": {"field": field}}}


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
