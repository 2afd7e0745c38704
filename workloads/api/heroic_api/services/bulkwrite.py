"""The backend calls that write many series at once, for ``WriteService.write_many``.

One call per backend where the backend takes many series in one request (``BulkMetricWriter``:
Bigtable; ``BatchMetricWriter``: memory; ``BulkIndexWriter``: Elasticsearch and memory
metadata/suggest, ``BULK_INDEX_SERIES`` series per request), else one call per series. Each
call is an ``Op`` the write service runs under its ``maxConcurrentWrites`` slots. This module
only builds calls: it runs nothing and knows no HTTP.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from heroic_core.backends.base import (
    BatchMetricWriter,
    BulkIndexWriter,
    BulkMetricWriter,
    MetadataBackend,
    MetricBackend,
    SuggestBackend,
)
from heroic_core.model import DateRange, Points, Series, SeriesBatch

#: A named backend call (the name is the backend id, for error messages).
Op = tuple[str, Callable[[], Awaitable[None]]]
#: Series per ``write_many`` call of a metadata or suggest backend (one ``_bulk`` request each;
#: the consumer uses the same size).
BULK_INDEX_SERIES = 500


def metric_ops(backend: MetricBackend, items: Sequence[tuple[Series, Points]]) -> list[Op]:
    """The calls storing ``items``' points in ``backend``."""
    # write_many first: a backend with both chunks its requests itself (the consumer's rule).
    if isinstance(backend, BulkMetricWriter):
        return [(backend.id, _bind(backend.write_many, items))]
    if isinstance(backend, BatchMetricWriter):
        return [(backend.id, _bind(backend.write_batch, SeriesBatch.of_items(items)))]
    return [(backend.id, _bind(backend.write, series, points)) for series, points in items]


def index_ops(
    backend: MetadataBackend | SuggestBackend, items: Sequence[tuple[Series, DateRange]]
) -> list[Op]:
    """The calls indexing ``items`` (series seen over a range) in ``backend``."""
    if isinstance(backend, BulkIndexWriter):
        return [
            (backend.id, _bind(backend.write_many, items[i : i + BULK_INDEX_SERIES]))
            for i in range(0, len(items), BULK_INDEX_SERIES)
        ]
    return [(backend.id, _bind(backend.write, series, range_)) for series, range_ in items]


def _bind(fn: Callable[..., Awaitable[None]], *args: Any) -> Callable[[], Awaitable[None]]:
    return lambda: fn(*args)
