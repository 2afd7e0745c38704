"""The ``/metadata/*`` endpoints (reference 2.9) over the metadata and suggest backends.

Decodes the common request fields (``filter`` default true, ``range`` default the last 7 days,
``limit`` with per-endpoint defaults), calls every backend of the group and merges with
``reduce``. Differences from upstream, on purpose (reference 13.2): ``/metadata/tags`` returns
the real tags instead of always ``{}``, and ``keys`` counts duplicates correctly. A failing
backend fails the request (500, or 503 when unreachable). Must not import FastAPI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from heroic_api.errors import BackendCallError
from heroic_api.schemas import (
    KeySuggestBody,
    MetadataBody,
    TagSuggestBody,
    TagValuesSuggestBody,
    TagValueSuggestBody,
    parse_model,
)
from heroic_core.backends import reduce
from heroic_core.backends.base import Backend
from heroic_core.backends.group import Backends
from heroic_core.backends.results import MatchOptions
from heroic_core.errors import HeroicError, JsonMappingError
from heroic_core.filters import TRUE, Filter
from heroic_core.hql import parse_filter_json
from heroic_core.limits import DEFAULT_TAGKEY_COUNT_EXACT_LIMIT
from heroic_core.model import DateRange
from heroic_core.ranges import decode_date_range

B = TypeVar("B", bound=Backend)
R = TypeVar("R")
SEVEN_DAYS_MS = 7 * 86_400_000
SERIES_LIMIT = 50
SUGGEST_LIMIT = 10


@dataclass(frozen=True, slots=True)
class Common:
    """Decoded common fields."""

    filter: Filter
    range: DateRange
    limit: int | None


def decode_common(body: MetadataBody, now: int, default_limit: int | None) -> Common:
    """Filter (default true), range (default ``[now-7d, now]``), limit (default per endpoint)."""
    filter_ = TRUE if body.filter is None else parse_filter_json(body.filter, "filter")
    range_ = None
    if body.range is not None:
        range_ = decode_date_range(body.range, "range").evaluate(now)
    if range_ is None:
        range_ = DateRange(max(now - SEVEN_DAYS_MS, 0), now)
    limit = default_limit if body.limit is None else body.limit
    return Common(filter_, range_, limit)


def _match(obj: dict[str, Any] | None) -> MatchOptions:
    try:
        return MatchOptions.from_json(obj)
    except (TypeError, ValueError) as exc:
        raise JsonMappingError(str(exc), "match") from None


async def _each(backends: Sequence[B], call: Callable[[B], Awaitable[R]]) -> list[R]:
    async def one(backend: B) -> R:
        try:
            return await call(backend)
        except HeroicError:
            raise
        except Exception as exc:
            raise BackendCallError.wrap(f"backend {backend.id} failed", exc) from exc

    return list(await asyncio.gather(*(one(b) for b in backends)))


def _with_errors(result: Any) -> dict[str, Any]:
    return {"errors": [], **result.to_json()}


class MetadataService:
    """Answers the metadata and suggest endpoints for one group of backends."""

    def __init__(self, backends: Backends, now: int, group: str | None = None) -> None:
        self.metadata = backends.metadata.use(group)
        self.suggest = backends.suggest.use(group)
        self.now = now

    async def find_series(self, obj: Any) -> dict[str, Any]:
        c = decode_common(parse_model(MetadataBody, obj), self.now, SERIES_LIMIT)
        found = await _each(self.metadata, lambda b: b.find_series(c.filter, c.range, c.limit))
        return _with_errors(reduce.find_series(found, c.limit))

    async def delete_series(self, obj: Any) -> dict[str, Any]:
        c = decode_common(parse_model(MetadataBody, obj), self.now, None)
        deleted = await _each(self.metadata, lambda b: b.delete_series(c.filter, c.range))
        return {"errors": [], "deleted": sum(deleted), "failed": 0}

    async def count_series(self, obj: Any) -> dict[str, Any]:
        c = decode_common(parse_model(MetadataBody, obj), self.now, None)
        counts = await _each(self.metadata, lambda b: b.count_series(c.filter, c.range, c.limit))
        return _with_errors(reduce.count_series(counts))

    async def find_keys(self, obj: Any) -> dict[str, Any]:
        c = decode_common(parse_model(MetadataBody, obj), self.now, SERIES_LIMIT)
        keys = await _each(self.metadata, lambda b: b.find_keys(c.filter, c.range, c.limit))
        return _with_errors(reduce.find_keys(keys, c.limit))

    async def find_tags(self, obj: Any) -> dict[str, Any]:
        c = decode_common(parse_model(MetadataBody, obj), self.now, SERIES_LIMIT)
        tags = await _each(self.metadata, lambda b: b.find_tags(c.filter, c.range, c.limit))
        return _with_errors(reduce.find_tags(tags, c.limit))

    async def key_suggest(self, obj: Any) -> dict[str, Any]:
        body = parse_model(KeySuggestBody, obj)
        c, match = decode_common(body, self.now, SUGGEST_LIMIT), _match(body.match)
        found = await _each(
            self.suggest,
            lambda b: b.key_suggest(c.filter, c.range, c.limit, key=body.key, match=match),
        )
        return _with_errors(reduce.key_suggest(found, c.limit))

    async def tag_suggest(self, obj: Any) -> dict[str, Any]:
        body = parse_model(TagSuggestBody, obj)
        c, match = decode_common(body, self.now, SUGGEST_LIMIT), _match(body.match)
        found = await _each(
            self.suggest,
            lambda b: b.tag_suggest(
                c.filter, c.range, c.limit, key=body.key, value=body.value, match=match
            ),
        )
        return _with_errors(reduce.tag_suggest(found, c.limit))

    async def tag_value_suggest(self, obj: Any) -> dict[str, Any]:
        body = parse_model(TagValueSuggestBody, obj)
        c = decode_common(body, self.now, SUGGEST_LIMIT)
        found = await _each(
            self.suggest, lambda b: b.tag_value_suggest(c.filter, c.range, c.limit, key=body.key)
        )
        return _with_errors(reduce.tag_value_suggest(found, c.limit))

    async def tag_values_suggest(self, obj: Any) -> dict[str, Any]:
        body = parse_model(TagValuesSuggestBody, obj)
        c = decode_common(body, self.now, SUGGEST_LIMIT)
        found = await _each(
            self.suggest,
            lambda b: b.tag_values_suggest(
                c.filter, c.range, c.limit, group_limit=body.group_limit, exclude=body.exclude
            ),
        )
        return _with_errors(reduce.tag_values_suggest(found, c.limit, body.group_limit))

    async def tagkey_count(self, obj: Any) -> dict[str, Any]:
        c = decode_common(parse_model(MetadataBody, obj), self.now, SUGGEST_LIMIT)
        exact = DEFAULT_TAGKEY_COUNT_EXACT_LIMIT
        found = await _each(
            self.suggest,
            lambda b: b.tagkey_count(c.filter, c.range, c.limit, exact_limit=exact),
        )
        return _with_errors(reduce.tagkey_count(found, c.limit, exact))
