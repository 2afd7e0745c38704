"""``ElasticsearchSuggestBackend`` (``type: elasticsearch``, reference 9.2).

Writes one ``series`` document and one ``tag`` document per tag in a single bulk request
(``op_type=create``; conflicts mean "already there"), skipped while the (index, series) pair is
in the write cache. Answers the five suggest operations with the bodies of
``suggest_queries``. Resource identifiers are never indexed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from heroic_core.backends.elasticsearch import suggest_queries as q
from heroic_core.backends.elasticsearch.cache import RateLimiter, WriteCache
from heroic_core.backends.elasticsearch.connection import Connection, create_documents
from heroic_core.backends.elasticsearch.documents import (
    suggest_series_document,
    suggest_tag_documents,
)
from heroic_core.backends.elasticsearch.mappings import (
    SERIES_TYPE,
    SUGGEST_ANALYSIS,
    SUGGEST_TYPES,
    TAG_TYPE,
)
from heroic_core.backends.results import (
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
from heroic_core.config.elasticsearch import ElasticsearchSuggestConfig
from heroic_core.limits import (
    DEFAULT_TAGKEY_COUNT_EXACT_LIMIT,
    SUGGESTIONS_LIMIT_CEILING,
    check_limit,
)
from heroic_core.model import DateRange, Series

if TYPE_CHECKING:
    from heroic_core.filters import Filter


def _buckets(response: Any, name: str) -> list[dict[str, Any]]:
    return list(((response.get("aggregations") or {}).get(name) or {}).get("buckets") or [])


class ElasticsearchSuggestBackend:
    """A ``SuggestBackend`` over rotating (or single) ``series`` and ``tag`` indices."""

    def __init__(self, config: ElasticsearchSuggestConfig) -> None:
        self.config = config
        self._id = config.id or "elasticsearch-suggest"
        self._groups = frozenset(config.groups)
        self._default_limit = config.effective_num_suggestions_limit()
        self.connection = Connection(
            config.connection,
            config.effective_template_name(),
            SUGGEST_TYPES,
            SUGGEST_ANALYSIS,
            auto_configure=config.configure,
        )
        self._cache = WriteCache(
            config.write_cache_duration_minutes * 60.0, config.write_cache_max_size
        )
        self._limiter = RateLimiter(config.writes_per_second)

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

    # --- writes ---------------------------------------------------------------------------

    async def write(self, series: Series, range: DateRange) -> None:
        """Index the series and its tags in every write index not already holding them."""
        tag_indices = self.connection.write_indices(TAG_TYPE)
        for index in self.connection.write_indices(SERIES_TYPE):
            cache_key = (index, series.tag_hash())
            if not self._cache.acquire(cache_key):
                continue
            await self._limiter.acquire()
            try:
                await self.connection.call(
                    "write", partial(self._bulk, _actions(series, index, tag_indices))
                )
            except BaseException:
                self._cache.forget(cache_key)
                raise

    async def write_many(self, items: Sequence[tuple[Series, DateRange]]) -> None:
        """Index many series (and their tags) with one ``_bulk`` request per write index,
        leaving out those the write cache holds; on a failure none of them counts as written
        (a retry re-sends them, and documents already there are conflicts, not failures)."""
        tag_indices = self.connection.write_indices(TAG_TYPE)
        for index in self.connection.write_indices(SERIES_TYPE):
            keys = [(index, series.tag_hash()) for series, _ in items]
            chosen = [
                (s, k) for (s, _), k in zip(items, keys, strict=True) if self._cache.acquire(k)
            ]
            if not chosen:
                continue
            await self._limiter.acquire(len(chosen))
            actions = [a for series, _ in chosen for a in _actions(series, index, tag_indices)]
            try:
                await self.connection.call("write", partial(self._bulk, actions))
            except BaseException:
                for _, key in chosen:
                    self._cache.forget(key)
                raise

    async def _bulk(self, actions: list[dict[str, Any]]) -> None:
        await create_documents(self.connection.client, actions, "suggest")

    # --- queries --------------------------------------------------------------------------

    def _limit(self, limit: int | None) -> int:
        check_limit(limit)
        return min(SUGGESTIONS_LIMIT_CEILING, self._default_limit if limit is None else limit)

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
        size = self._limit(limit)
        if size == 0:
            return TagSuggest()
        body = q.tag_suggest(filter, size, key or None, value or None)
        response = await self.connection.search(TAG_TYPE, body)
        found = [
            TagSuggestion(float(hit["_score"] or 0.0), str(src["skey"]), str(src["sval"]))
            for hit in response["hits"]["hits"]
            if (src := hit["_source"])
        ]
        found.sort(key=lambda s: (-s.score, s.key, s.value))
        return TagSuggest(tuple(found[:size]))

    async def key_suggest(
        self,
        filter: Filter,
        range: DateRange,
        limit: int | None = None,
        *,
        key: str | None = None,
        match: MatchOptions | None = None,
    ) -> KeySuggest:
        size = self._limit(limit)
        if size == 0:
            return KeySuggest()
        response = await self.connection.search(SERIES_TYPE, q.key_suggest(filter, size, key))
        found = [
            KeySuggestion(float(hit["_score"] or 0.0), str(hit["_source"]["key"]))
            for hit in response["hits"]["hits"]
        ]
        found.sort(key=lambda s: (-s.score, s.key))
        return KeySuggest(tuple(found[:size]))

    async def tag_value_suggest(
        self,
        filter: Filter,
        range: DateRange,
        limit: int | None = None,
        *,
        key: str | None = None,
    ) -> TagValueSuggest:
        size = self._limit(limit)
        response = await self.connection.search(TAG_TYPE, q.tag_value_suggest(filter, size, key))
        values = [str(b["key"]) for b in _buckets(response, "values")]
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
        size = self._limit(limit)
        check_limit(group_limit)
        body = q.tag_values_suggest(filter, group_limit, exclude)
        response = await self.connection.search(TAG_TYPE, body)
        suggestions = []
        for bucket in _buckets(response, "keys"):
            values = sorted(str(v["key"]) for v in bucket["values"]["buckets"])
            cut = len(values) if group_limit is None else group_limit
            suggestions.append(
                TagValuesSuggestion(str(bucket["key"]), tuple(values[:cut]), len(values) > cut)
            )
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
        check_limit(limit)
        check_limit(exact_limit)
        response = await self.connection.search(
            TAG_TYPE, q.tagkey_count(filter, limit, exact_limit)
        )
        suggestions = []
        for bucket in _buckets(response, "keys"):
            exact = None
            if exact_limit is not None:
                values = sorted(str(v["key"]) for v in bucket["values"]["buckets"])
                exact = tuple(values) if len(values) <= exact_limit else None
            count = int(bucket["cardinality"]["value"])
            suggestions.append(TagKeyCountSuggestion(str(bucket["key"]), count, exact))
        if limit is not None and len(suggestions) > limit:
            return TagKeyCount(tuple(suggestions[:limit]), limited=True)
        return TagKeyCount(tuple(suggestions), limited=False)


def _actions(series: Series, index: str, tag_indices: list[str]) -> list[dict[str, Any]]:
    """Bulk body: the series document, then every tag document in every tag write index."""
    actions: list[dict[str, Any]] = [
        {"create": {"_index": index, "_id": series.id}},
        suggest_series_document(series),
    ]
    for tag_index in tag_indices:
        for doc_id, body in suggest_tag_documents(series):
            actions.extend(({"create": {"_index": tag_index, "_id": doc_id}}, body))
    return actions
