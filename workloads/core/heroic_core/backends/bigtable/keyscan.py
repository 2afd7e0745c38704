"""Row-key operations on a Bigtable table of points: list the rows holding points in row-key
order (a page per request, so a slow reader holds no stream open), count a row's points and
delete them. ``BigtableMetricBackend`` wraps these as its ``KeyScanner``; errors are the
client's, converted by the caller. Never touches the ``distributionPoints`` family.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from google.cloud.bigtable.data import DeleteAllFromFamily, ReadRowsQuery, RowRange, TableAsync
from google.cloud.bigtable.data.row_filters import (
    CellsColumnLimitFilter,
    CellsRowLimitFilter,
    FamilyNameRegexFilter,
    RowFilterChain,
    StripValueTransformerFilter,
)

from heroic_core.backends.bigtable.rowkey import SerialError, decode_row_key, row_key
from heroic_core.backends.keyspace import BackendKey, KeyRange, UnreadableKey
from heroic_core.errors import RequestError

#: Rows one request lists when the caller names no page size.
DEFAULT_PAGE_SIZE = 1000


def _points_only(family: str, *, one_cell: bool) -> RowFilterChain:
    """The family's latest cells without values (one per row when ``one_cell``)."""
    limit = CellsRowLimitFilter(1) if one_cell else CellsColumnLimitFilter(1)
    return RowFilterChain(
        [FamilyNameRegexFilter(family), limit, StripValueTransformerFilter(flag=True)]
    )


def check_bounds(keys: KeyRange) -> None:
    """Refuse Cassandra's token bounds: Bigtable orders rows by their key bytes."""
    if keys.uses_tokens():
        raise RequestError(
            "Bigtable orders rows by row key and has no token ring; "
            "bound the keys by start and end key instead"
        )


async def scan(
    table: TableAsync, family: str, keys: KeyRange
) -> AsyncIterator[BackendKey | UnreadableKey]:
    """Keys of the rows with cells in ``family``, in row-key order, within ``keys``."""
    start = row_key(keys.start.series, keys.start.base) if keys.start else None
    end = row_key(keys.end.series, keys.end.base) if keys.end else None
    page_size = keys.page_size or DEFAULT_PAGE_SIZE
    left = keys.limit
    inclusive = True
    while left is None or left > 0:
        size = page_size if left is None else min(page_size, left)
        if start is not None and end is not None and start >= end:
            return
        query = ReadRowsQuery(
            row_ranges=RowRange(start, end, start_is_inclusive=inclusive),
            limit=size,
            row_filter=_points_only(family, one_cell=True),
        )
        rows = await table.read_rows(query)
        for row in rows:
            yield _decoded(row.row_key)
        if len(rows) < size:
            return
        start, inclusive = rows[-1].row_key, False
        left = None if left is None else left - len(rows)


def _decoded(raw: bytes) -> BackendKey | UnreadableKey:
    try:
        series, base = decode_row_key(raw)
    except (SerialError, TypeError) as exc:
        return UnreadableKey(raw, str(exc))
    return BackendKey(series, base)


async def count(table: TableAsync, family: str, key: BackendKey) -> int:
    """Cells (latest version of each) of ``family`` in the row of ``key``."""
    row = await table.read_row(
        row_key(key.series, key.base), row_filter=_points_only(family, one_cell=False)
    )
    return 0 if row is None else len(row.cells)


async def delete(table: TableAsync, family: str, key: BackendKey) -> None:
    """Every cell of ``family`` in the row of ``key`` (other families stay)."""
    await table.mutate_row(row_key(key.series, key.base), [DeleteAllFromFamily(family)])
