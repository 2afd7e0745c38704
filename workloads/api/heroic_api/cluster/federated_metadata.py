"""``/metadata/*`` and the suggest endpoints across every shard (upstream's
``CoreQueryManager.Group`` metadata calls), reduced with upstream's rules.

The request is checked here first (a bad body is a 400 before any shard is asked), its range is
fixed at this node's ``now`` and sent as absolute, and every shard answers it as its public
endpoint would. The answers reduce (``metadata_wire``); a shard that failed adds a ``shard``
error to ``errors`` while the others answer. ``PUT /metadata/series`` stays local, as ``/write``
does.
"""

from __future__ import annotations

from typing import Any

from heroic_api.cluster.fanout import FanOut
from heroic_api.cluster.metadata_wire import (
    OPERATIONS,
    Limits,
    ShardMetadata,
    decode_answer,
    reduce_answers,
)
from heroic_api.cluster.nodes import ClusterNode
from heroic_api.schemas import (
    KeySuggestBody,
    MetadataBody,
    TagSuggestBody,
    TagValuesSuggestBody,
    TagValueSuggestBody,
    parse_model,
)
from heroic_api.services.metadata import MetadataService, decode_common

_BODIES: dict[str, type[MetadataBody]] = {
    "key-suggest": KeySuggestBody,
    "tag-suggest": TagSuggestBody,
    "tag-value-suggest": TagValueSuggestBody,
    "tag-values-suggest": TagValuesSuggestBody,
}


class FederatedMetadataService(MetadataService):
    """Answers every metadata operation from all shards."""

    def __init__(self, fanout: FanOut, now: int, group: str | None = None) -> None:
        self.fanout = fanout
        self.now = now
        self.group = group

    async def _federated(self, name: str, obj: Any) -> dict[str, Any]:
        body = parse_model(_BODIES.get(name, MetadataBody), obj)
        common = decode_common(body, self.now, OPERATIONS[name].default_limit)
        absolute = {"type": "absolute", "start": common.range.start, "end": common.range.end}
        forwarded = {"request": {**obj, "range": absolute}, "group": self.group}

        async def ask(node: ClusterNode) -> ShardMetadata:
            return decode_answer(name, await node.metadata_operation(name, forwarded))

        outcomes = await self.fanout.all_shards(ask)
        answers = [o.answer for o in outcomes if o.answer is not None]
        errors = [e for a in answers for e in a.errors]
        errors += [o.failure.to_error() for o in outcomes if o.failure is not None]
        limits = Limits(common.limit, getattr(body, "group_limit", None))
        return {"errors": errors, **reduce_answers(name, answers, limits)}

    async def find_series(self, obj: Any) -> dict[str, Any]:
        return await self._federated("series", obj)

    async def delete_series(self, obj: Any) -> dict[str, Any]:
        return await self._federated("delete-series", obj)

    async def count_series(self, obj: Any) -> dict[str, Any]:
        return await self._federated("series-count", obj)

    async def find_keys(self, obj: Any) -> dict[str, Any]:
        return await self._federated("keys", obj)

    async def find_tags(self, obj: Any) -> dict[str, Any]:
        return await self._federated("tags", obj)

    async def key_suggest(self, obj: Any) -> dict[str, Any]:
        return await self._federated("key-suggest", obj)

    async def tag_suggest(self, obj: Any) -> dict[str, Any]:
        return await self._federated("tag-suggest", obj)

    async def tag_value_suggest(self, obj: Any) -> dict[str, Any]:
        return await self._federated("tag-value-suggest", obj)

    async def tag_values_suggest(self, obj: Any) -> dict[str, Any]:
        return await self._federated("tag-values-suggest", obj)

    async def tagkey_count(self, obj: Any) -> dict[str, Any]:
        return await self._federated("tagkey-count", obj)
