"""``CassandraMetricBackend``: points in upstream Heroic's Cassandra ``ng`` layout (ref. 8.2).

Writes ``(metric_key, data_timestamp_offset, data_value)`` rows with a prepared INSERT (one
unlogged single-partition batch per row and chunk) and reads ``(start, end]`` back with the
prepared SELECT, per partition. Row keys (``KeyScanner``, ``KeyCodec``) are listed in token
order with ``SELECT DISTINCT``, counted and deleted per partition. Driver calls are
asynchronous (``execute_async``) or, for the blocking connect/prepare/shutdown, run in a
worker thread. Creates schema only in ``configure()``; never drops or alters anything (it
deletes rows only when ``delete_key`` is called).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass

import numpy as np
from cassandra.cluster import Cluster, Session
from cassandra.query import BatchStatement, BatchType, PreparedStatement

from heroic_core.backends.cassandra import schema
from heroic_core.backends.cassandra.connection import all_rows, build_cluster, convert, pages
from heroic_core.backends.cassandra.keys import (
    ROW_WIDTH,
    SerialError,
    base_of,
    decode_metric_key,
    metric_key,
    offset_of,
    percentage_token,
    windows,
)
from heroic_core.backends.errors import BackendRejectedError
from heroic_core.backends.keyspace import BackendKey, KeyRange, UnreadableKey
from heroic_core.backends.results import ConfigureResult
from heroic_core.backends.rows import row_window
from heroic_core.config.metrics import DatastaxMetricConfig
from heroic_core.model import DateRange, Points, Series

#: Rows per unlogged batch: one partition, kept under Cassandra's batch size warning.
BATCH_ROWS = 100

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Statements:
    insert: PreparedStatement
    select: PreparedStatement


class CassandraMetricBackend:
    """A ``MetricBackend`` over ``<keyspace>.metrics``; connects on first use."""

    def __init__(self, config: DatastaxMetricConfig) -> None:
        self.config = config
        self.keyspace = schema.check_keyspace(config.schema_.keyspace)
        self._id = config.id or f"datastax:{self.keyspace}"
        self._groups = frozenset(config.groups)
        self._cluster: Cluster | None = None
        self._session: Session | None = None
        self._statements: _Statements | None = None
        self._by_text: dict[str, PreparedStatement] = {}
        self._lock = asyncio.Lock()

    @property
    def id(self) -> str:
        return self._id

    @property
    def groups(self) -> frozenset[str]:
        return self._groups

    async def _connect(self) -> Session:
        if self._session is not None:
            return self._session
        async with self._lock:
            if self._session is None:
                cluster = build_cluster(self.config)
                try:
                    session = await asyncio.to_thread(cluster.connect)
                except Exception as exc:
                    await asyncio.to_thread(cluster.shutdown)
                    raise convert(exc, self.config, "connect") from exc
                session.default_fetch_size = self.config.fetch_size
                self._cluster, self._session = cluster, session
        assert self._session is not None  # noqa: S101 - set above under the lock
        return self._session

    async def _prepared(self) -> tuple[Session, _Statements]:
        session = await self._connect()
        if self._statements is None:
            if self.config.configure:  # upstream: ``configure: true`` creates the schema first
                await self.configure()
            try:
                insert = await asyncio.to_thread(session.prepare, schema.insert(self.keyspace))
                select = await asyncio.to_thread(session.prepare, schema.select(self.keyspace))
            except Exception as exc:
                raise convert(exc, self.config, "prepare statements") from exc
            self._statements = _Statements(insert, select)
        return session, self._statements

    async def is_ready(self) -> bool:
        try:
            await self._prepared()
        except Exception:  # readiness is a yes/no probe; the cause is logged
            log.warning("Cassandra backend %s is not ready", self.id, exc_info=True)
            return False
        return True

    async def configure(self) -> ConfigureResult:
        """Create the keyspace (replication from config) and the table if missing."""
        session = await self._connect()
        try:
            return await asyncio.to_thread(self._configure, session)
        except Exception as exc:
            raise convert(exc, self.config, "configure") from exc

    def _configure(self, session: Session) -> ConfigureResult:
        assert self._cluster is not None  # noqa: S101 - connected by the caller
        metadata = self._cluster.metadata
        keyspace = metadata.keyspaces.get(self.keyspace)
        has_table = keyspace is not None and schema.TABLE in keyspace.tables
        ks_label = f"cassandra keyspace {self.keyspace}"
        table_label = f"cassandra table {self.keyspace}.{schema.TABLE}"
        created: list[str] = []
        existing: list[str] = []
        (existing if keyspace is not None else created).append(ks_label)
        (existing if has_table else created).append(table_label)
        if keyspace is None:
            replication = self.config.schema_.effective_replication()
            session.execute(schema.create_keyspace(self.keyspace, replication))
        if not has_table:
            session.execute(schema.create_table(self.keyspace))
        if created:
            self._cluster.control_connection.wait_for_schema_agreement()
        return ConfigureResult(created=tuple(created), existing=tuple(existing))

    async def close(self) -> None:
        cluster, self._cluster, self._session, self._statements = self._cluster, None, None, None
        self._by_text.clear()
        if cluster is not None:
            await asyncio.to_thread(cluster.shutdown)

    async def write(self, series: Series, points: Points) -> None:
        """Store points; one unlogged batch per partition and ``BATCH_ROWS`` rows."""
        if len(points) == 0:
            return
        session, statements = await self._prepared()
        batches = self._batches(series, points, statements.insert)
        try:
            await asyncio.gather(*(all_rows(session.execute_async(b)) for b in batches))
        except Exception as exc:
            raise convert(exc, self.config, "write") from exc

    def _batches(
        self, series: Series, points: Points, insert: PreparedStatement
    ) -> list[BatchStatement]:
        timestamps = points.timestamps.tolist()
        if timestamps[0] < 0:
            raise BackendRejectedError(f"negative timestamp {timestamps[0]} cannot be stored")
        rows: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for ts, value in zip(timestamps, points.values.tolist(), strict=True):
            rows[base_of(ts)].append((offset_of(ts), value))
        batches: list[BatchStatement] = []
        for base, cells in rows.items():
            key = metric_key(series, base)
            for i in range(0, len(cells), BATCH_ROWS):
                batch = BatchStatement(batch_type=BatchType.UNLOGGED)
                for offset, value in cells[i : i + BATCH_ROWS]:
                    batch.add(insert, (key, offset, value))
                batches.append(batch)
        return batches

    async def fetch(self, series: Series, range: DateRange) -> Points:
        """Points of ``series`` in ``(range.start, range.end]``, sorted."""
        spans = list(windows(range))
        if not spans:
            return Points.empty()
        session, statements = await self._prepared()
        queries = [
            statements.select.bind((metric_key(series, w.base), w.after, w.last, w.last - w.after))
            for w in spans
        ]
        try:
            results = await asyncio.gather(*(all_rows(session.execute_async(q)) for q in queries))
        except Exception as exc:
            raise convert(exc, self.config, "fetch") from exc
        timestamps = [
            w.base + row[0] for w, rows in zip(spans, results, strict=True) for row in rows
        ]
        values = [row[1] for rows in results for row in rows]
        return Points(np.array(timestamps, dtype=np.int64), np.array(values, dtype=np.float64))

    async def _prepare(self, cql: str) -> tuple[Session, PreparedStatement]:
        """``cql`` prepared once per connection (the key statements vary with their bounds)."""
        session, _ = await self._prepared()
        statement = self._by_text.get(cql)
        if statement is None:
            try:
                statement = await asyncio.to_thread(session.prepare, cql)
            except Exception as exc:
                raise convert(exc, self.config, "prepare statements") from exc
            self._by_text[cql] = statement
        return session, statement

    async def scan_keys(self, keys: KeyRange) -> AsyncIterator[BackendKey | UnreadableKey]:
        """Partitions in token order (``SELECT DISTINCT``), a page of ``page_size`` at a time."""
        after, after_value = _start_bound(keys)
        before, before_value = _end_bound(keys)
        cql = schema.select_keys(self.keyspace, after, before, keys.limit is not None)
        values = [v for v in (after_value, before_value, keys.limit) if v is not None]
        session, statement = await self._prepare(cql)
        bound = statement.bind(values)
        bound.fetch_size = keys.page_size or self.config.fetch_size
        try:
            async for page in pages(session.execute_async(bound)):
                for raw, token in page:
                    yield _decoded(bytes(raw), token)
        except Exception as exc:
            raise convert(exc, self.config, "list keys") from exc

    async def count_key(self, key: BackendKey) -> int:
        session, statement = await self._prepare(schema.count_key(self.keyspace))
        bound = statement.bind((metric_key(key.series, key.base),))
        try:
            rows = await all_rows(session.execute_async(bound))
        except Exception as exc:
            raise convert(exc, self.config, "count key") from exc
        return int(rows[0][0]) if rows else 0

    async def fetch_key(self, key: BackendKey, range: DateRange) -> Points:
        window = row_window(key.base, ROW_WIDTH, range)
        return Points.empty() if window is None else await self.fetch(key.series, window)

    async def delete_key(self, key: BackendKey) -> None:
        session, statement = await self._prepare(schema.delete_key(self.keyspace))
        bound = statement.bind((metric_key(key.series, key.base),))
        try:
            await all_rows(session.execute_async(bound))
        except Exception as exc:
            raise convert(exc, self.config, "delete key") from exc

    def serialize_key(self, key: BackendKey) -> bytes:
        return metric_key(key.series, key.base)

    def deserialize_key(self, data: bytes) -> BackendKey:
        series, base = decode_metric_key(data)
        return BackendKey(series, base)


def _decoded(raw: bytes, token: int) -> BackendKey | UnreadableKey:
    try:
        series, base = decode_metric_key(raw)
    except (SerialError, TypeError) as exc:
        return UnreadableKey(raw, str(exc))
    return BackendKey(series, base, token)


def _start_bound(keys: KeyRange) -> tuple[str | None, object]:
    """Upstream's precedence: a token beats a percentage beats a key."""
    if keys.start_token is not None:
        return "token", keys.start_token
    if keys.start_percentage is not None:
        return "token", percentage_token(keys.start_percentage)
    if keys.start is not None:
        return "key", metric_key(keys.start.series, keys.start.base)
    return None, None


def _end_bound(keys: KeyRange) -> tuple[str | None, object]:
    if keys.end_token is not None:
        return "token", keys.end_token
    if keys.end_percentage is not None:
        return "token", percentage_token(keys.end_percentage)
    if keys.end is not None:
        return "key", metric_key(keys.end.series, keys.end.base)
    return None, None
