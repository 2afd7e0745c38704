"""``BigtableMetricBackend``: points stored in upstream Heroic's Bigtable layout (ref. 8.1).

Writes ``SetCell``s into the ``points`` family (distribution points: the ``distributionPoints``
family, raw payload bytes) of ``row_key(series, base)`` rows and reads the exact window
``(start, end]`` back, so data written by Java Heroic is readable and the other way round. Its
rows of points are listed, counted and deleted by key (``keyscan``; upstream's Bigtable backend
had none of this). Uses
the asyncio data client; table creation lives in ``admin`` (run in a thread). No metadata.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from google.cloud.bigtable.data import (
    BigtableDataClientAsync,
    Mutation,
    ReadRowsQuery,
    RowMutationEntry,
    SetCell,
    TableAsync,
)
from google.cloud.bigtable.data.row_filters import (
    CellsColumnLimitFilter,
    ColumnRangeFilter,
    RowFilterChain,
)

from heroic_core.backends.bigtable import admin, keyscan
from heroic_core.backends.bigtable.connection import convert, credentials_for, emulator_environment
from heroic_core.backends.bigtable.rowkey import (
    MAX_ROW_KEY_SIZE,
    PERIOD,
    ColumnWindow,
    base_of,
    decode_double,
    decode_offset,
    decode_row_key,
    encode_double,
    encode_offset,
    offset_of,
    row_key,
    windows,
)
from heroic_core.backends.errors import BackendRejectedError
from heroic_core.backends.keyspace import BackendKey, KeyRange, UnreadableKey
from heroic_core.backends.results import ConfigureResult
from heroic_core.backends.rows import row_window
from heroic_core.config.metrics import BigtableMetricConfig
from heroic_core.model import DateRange, Distributions, Points, Series

POINTS_FAMILY = "points"
DISTRIBUTIONS_FAMILY = "distributionPoints"
#: Bigtable refuses a ``MutateRows`` request with more mutations than this.
MAX_MUTATIONS_PER_REQUEST = 100_000
DEFAULT_CONFIGURE_TIMEOUT = 30.0
_READY_TIMEOUT = 5.0

log = logging.getLogger(__name__)


class BigtableMetricBackend:
    """A ``MetricBackend`` over one Bigtable table; the client is opened on first use."""

    def __init__(self, config: BigtableMetricConfig) -> None:
        self.config = config
        self._id = config.id or f"bigtable:{config.instance}/{config.table}"
        self._groups = frozenset(config.groups)
        self._client: BigtableDataClientAsync | None = None
        self._table: TableAsync | None = None
        self._lock = asyncio.Lock()
        self.dropped_by_size = 0

    @property
    def id(self) -> str:
        return self._id

    @property
    def groups(self) -> frozenset[str]:
        return self._groups

    async def _open(self) -> TableAsync:
        if self._table is not None:
            return self._table
        async with self._lock:
            if self._table is None:
                if self.config.configure:  # upstream: ``configure: true`` sets up at start
                    await self.configure()
                self._table = await self._connect()
        return self._table

    async def _connect(self) -> TableAsync:
        cfg = self.config
        try:
            with emulator_environment(cfg):
                self._client = BigtableDataClientAsync(
                    project=cfg.project, credentials=credentials_for(cfg)
                )
            table: TableAsync = self._client.get_table(
                cfg.instance, cfg.table, app_profile_id=cfg.profile, **_timeouts(cfg)
            )
        except Exception as exc:
            raise convert(exc, cfg, "connect") from exc
        return table

    async def is_ready(self) -> bool:
        try:
            table = await self._open()
            await table.read_rows(ReadRowsQuery(limit=1), operation_timeout=_READY_TIMEOUT)
        except Exception:  # readiness is a yes/no probe; the cause is logged
            log.warning("Bigtable backend %s is not ready", self.id, exc_info=True)
            return False
        return True

    async def configure(self, timeout: float = DEFAULT_CONFIGURE_TIMEOUT) -> ConfigureResult:
        """Create the table and the ``points``/``distributionPoints``/``events`` families."""
        return await asyncio.to_thread(admin.ensure_schema, self.config, timeout)

    async def close(self) -> None:
        client, self._client, self._table = self._client, None, None
        if client is not None:
            await client.close()

    async def write(self, series: Series, points: Points) -> None:
        """One ``MutateRow`` per row (split every ``maxWriteBatchSize`` cells)."""
        await self.write_many([(series, points)])

    async def write_many(self, items: Sequence[tuple[Series, Points]]) -> None:
        """The rows of every series in as few ``MutateRows`` requests as Bigtable allows (at
        most ``MAX_MUTATIONS_PER_REQUEST`` cells each); a single row is one ``MutateRow``."""
        await self._apply(
            [
                e
                for series, points in items
                if len(points)
                for e in self._mutations(
                    series,
                    POINTS_FAMILY,
                    points.timestamps.tolist(),
                    map(encode_double, points.values.tolist()),
                )
            ]
        )

    async def write_distributions(self, series: Series, points: Distributions) -> None:
        """Distribution points as raw payload cells of the ``distributionPoints`` family."""
        if len(points):
            timestamps = points.timestamps.tolist()
            await self._apply(
                self._mutations(series, DISTRIBUTIONS_FAMILY, timestamps, points.payloads)
            )

    async def _apply(self, entries: list[RowMutationEntry]) -> None:
        if not entries:
            return
        table = await self._open()
        try:
            if len(entries) == 1:
                await table.mutate_row(entries[0].row_key, list(entries[0].mutations))
                return
            for chunk in chunk_by_mutations(entries, MAX_MUTATIONS_PER_REQUEST):
                await table.bulk_mutate_rows(chunk)
        except Exception as exc:
            raise convert(exc, self.config, "write") from exc

    def _mutations(
        self, series: Series, family: str, timestamps: list[int], cells: Iterable[bytes]
    ) -> list[RowMutationEntry]:
        if timestamps[0] < 0:
            raise BackendRejectedError(f"negative timestamp {timestamps[0]} cannot be stored")
        rows: dict[int, list[Mutation]] = defaultdict(list)
        for ts, value in zip(timestamps, cells, strict=True):
            rows[base_of(ts)].append(SetCell(family, encode_offset(offset_of(ts)), value))
        batch = self.config.effective_max_write_batch_size()
        entries: list[RowMutationEntry] = []
        for base, mutations in rows.items():
            key = row_key(series, base)
            if len(key) >= MAX_ROW_KEY_SIZE:
                self.dropped_by_size += len(mutations)
                log.error(
                    "Dropped %d %s: row key of %d bytes is too long", len(mutations), family,
                    len(key),
                )  # fmt: skip
                continue
            entries.extend(
                RowMutationEntry(key, mutations[i : i + batch])
                for i in range(0, len(mutations), batch)
            )
        return entries

    async def fetch(self, series: Series, range: DateRange) -> Points:
        """Points of ``series`` in ``(range.start, range.end]``, latest cell per timestamp."""
        timestamps, cells = await self._fetch(series, range, POINTS_FAMILY)
        values = [decode_double(c) for c in cells]
        return Points(np.array(timestamps, dtype=np.int64), np.array(values, dtype=np.float64))

    async def fetch_distributions(self, series: Series, range: DateRange) -> Distributions:
        """Distribution points of ``series`` in ``(range.start, range.end]``."""
        timestamps, cells = await self._fetch(series, range, DISTRIBUTIONS_FAMILY)
        return Distributions(np.array(timestamps, dtype=np.int64), tuple(cells))

    async def _fetch(
        self, series: Series, range: DateRange, family: str
    ) -> tuple[list[int], list[bytes]]:
        spans = list(windows(range))
        if not spans:
            return [], []
        table = await self._open()
        try:
            parts = await asyncio.gather(*(self._read(table, series, w, family) for w in spans))
        except Exception as exc:
            raise convert(exc, self.config, "fetch") from exc
        return [t for ts, _ in parts for t in ts], [c for _, cs in parts for c in cs]

    async def _read(
        self, table: TableAsync, series: Series, window: ColumnWindow, family: str
    ) -> tuple[list[int], list[bytes]]:
        row_filter = RowFilterChain(
            [
                ColumnRangeFilter(
                    family,
                    start_qualifier=encode_offset(window.first),
                    end_qualifier=encode_offset(window.last),
                    inclusive_start=True,
                    inclusive_end=True,
                ),
                CellsColumnLimitFilter(1),
            ]
        )
        query = ReadRowsQuery(row_keys=[row_key(series, window.base)], row_filter=row_filter)
        timestamps: list[int] = []
        cells: list[bytes] = []
        for row in await table.read_rows(query):
            for cell in row.cells:
                timestamps.append(window.base + decode_offset(cell.qualifier))
                cells.append(cell.value)
        return timestamps, cells

    async def scan_keys(self, keys: KeyRange) -> AsyncIterator[BackendKey | UnreadableKey]:
        """Rows holding points, in row-key order, a page of ``keys.page_size`` per request."""
        keyscan.check_bounds(keys)
        table = await self._open()
        try:
            async for key in keyscan.scan(table, POINTS_FAMILY, keys):
                yield key
        except Exception as exc:
            raise convert(exc, self.config, "list keys") from exc

    async def count_key(self, key: BackendKey) -> int:
        table = await self._open()
        try:
            return await keyscan.count(table, POINTS_FAMILY, key)
        except Exception as exc:
            raise convert(exc, self.config, "count key") from exc

    async def fetch_key(self, key: BackendKey, range: DateRange) -> Points:
        window = row_window(key.base, PERIOD, range)
        return Points.empty() if window is None else await self.fetch(key.series, window)

    async def delete_key(self, key: BackendKey) -> None:
        """The row's points; its distribution points stay."""
        table = await self._open()
        try:
            await keyscan.delete(table, POINTS_FAMILY, key)
        except Exception as exc:
            raise convert(exc, self.config, "delete key") from exc

    def serialize_key(self, key: BackendKey) -> bytes:
        return row_key(key.series, key.base)

    def deserialize_key(self, data: bytes) -> BackendKey:
        series, base = decode_row_key(data)
        return BackendKey(series, base)


def chunk_by_mutations(
    entries: list[RowMutationEntry], limit: int
) -> Iterator[list[RowMutationEntry]]:
    """Consecutive runs of ``entries`` with at most ``limit`` mutations each (an entry never
    exceeds it: ``maxWriteBatchSize`` is capped below)."""
    chunk: list[RowMutationEntry] = []
    size = 0
    for entry in entries:
        count = len(entry.mutations)
        if chunk and size + count > limit:
            yield chunk
            chunk, size = [], 0
        chunk.append(entry)
        size += count
    if chunk:
        yield chunk


def _timeouts(cfg: BigtableMetricConfig) -> dict[str, Any]:
    """Map upstream's RPC timeout settings (milliseconds) onto the client's (seconds)."""
    out: dict[str, Any] = {}
    if cfg.mutate_rpc_timeout_ms is not None:
        out["default_mutate_rows_attempt_timeout"] = cfg.mutate_rpc_timeout_ms / 1000
    if cfg.read_rows_rpc_timeout_ms is not None:
        out["default_read_rows_attempt_timeout"] = cfg.read_rows_rpc_timeout_ms / 1000
    if cfg.short_rpc_timeout_ms is not None:
        out["default_attempt_timeout"] = cfg.short_rpc_timeout_ms / 1000
    if cfg.max_elapsed_backoff_ms is not None:
        total = cfg.max_elapsed_backoff_ms / 1000
        out["default_operation_timeout"] = total
        out["default_read_rows_operation_timeout"] = total
        out["default_mutate_rows_operation_timeout"] = total
    return out
