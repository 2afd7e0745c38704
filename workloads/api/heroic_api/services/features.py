"""Query features (reference 3 step 3 and 12): defaults, config, per-query overrides.

A feature list holds ids (enable) or ``-``-prefixed ids (disable); later lists win. Ids may be
given in full (``com.spotify.heroic.shift_range``) or without the ``com.spotify.heroic.``
prefix. Unknown ids are an error naming the id. Pure values; nothing here runs a query.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from heroic_core.errors import JsonMappingError

PREFIX = "com.spotify.heroic."
DETERMINISTIC_AGGREGATIONS = PREFIX + "deterministic_aggregations"
DISTRIBUTED_AGGREGATIONS = PREFIX + "distributed_aggregations"
SHIFT_RANGE = PREFIX + "shift_range"
SLICED_DATA_FETCH = PREFIX + "sliced_data_fetch"
END_BUCKET = PREFIX + "end_bucket_stategy"  # sic, upstream's id
CACHE_QUERY = PREFIX + "cache_query"
LIVE_CURSOR = PREFIX + "metadata.live_cursor"

KNOWN = frozenset(
    {
        DETERMINISTIC_AGGREGATIONS,
        DISTRIBUTED_AGGREGATIONS,
        SHIFT_RANGE,
        SLICED_DATA_FETCH,
        END_BUCKET,
        CACHE_QUERY,
        LIVE_CURSOR,
    }
)
DEFAULTS = frozenset({SHIFT_RANGE, SLICED_DATA_FETCH, END_BUCKET})


def _resolve(name: str) -> str | None:
    if name in KNOWN:
        return name
    full = PREFIX + name
    return full if full in KNOWN else None


@dataclass(frozen=True, slots=True)
class Features:
    """An enabled-feature set."""

    enabled: frozenset[str] = DEFAULTS

    def has(self, feature: str) -> bool:
        return feature in self.enabled

    def apply(self, items: Iterable[str], path: str = "features") -> Features:
        """Apply ``"<id>"`` / ``"-<id>"`` items in order; unknown ids raise a json-error."""
        enabled = set(self.enabled)
        for index, item in enumerate(items):
            disable = item.startswith("-")
            feature = _resolve(item[1:] if disable else item)
            if feature is None:
                raise JsonMappingError(f"unknown feature: {item}", f"{path}[{index}]")
            if disable:
                enabled.discard(feature)
            else:
                enabled.add(feature)
        return Features(frozenset(enabled))
