"""``Connection``: what the metadata and suggest backends share — the lazily created client,
the engine detected on first use, index naming on the current clock, templates, readiness,
refresh and closing.

Holds no document logic. The client is created on first use, inside the running event loop
(aiohttp sessions belong to one loop); the first operation also asks the server which engine
and version it is, logs it, and refuses an unsupported one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from heroic_core.backends.elasticsearch import engines
from heroic_core.backends.elasticsearch.client import (
    SEARCH_OPTIONS,
    ApiError,
    SearchClient,
    build_client,
    convert,
    shards_unavailable,
)
from heroic_core.backends.elasticsearch.indices import IndexScheme
from heroic_core.backends.elasticsearch.mappings import templates
from heroic_core.backends.elasticsearch.templates import ensure_templates
from heroic_core.backends.errors import BackendUnavailableError
from heroic_core.backends.results import ConfigureResult
from heroic_core.config.elasticsearch import ConnectionConfig

T = TypeVar("T")
log = logging.getLogger(__name__)
MAX_INDEX_LIST = 2000
#: Seconds a search waits for the shards of a just-created index to start.
SHARD_START_WAIT = 5.0


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


class Connection:
    """One Elasticsearch connection serving the document ``types`` of a backend."""

    def __init__(
        self,
        config: ConnectionConfig,
        template_name: str,
        types: dict[str, dict[str, Any]],
        analysis: dict[str, Any] | None = None,
        *,
        clock: Callable[[], int] = wall_clock_ms,
        auto_configure: bool = False,
    ) -> None:
        self.config = config
        self.scheme = IndexScheme(config.index)
        self.template_name = template_name
        self.types = types
        self.analysis = analysis
        self.clock = clock
        self._client: SearchClient | None = None
        self.engine: engines.Engine | None = None
        self._detect_lock: asyncio.Lock | None = None
        # configure: true puts the templates once, before any other operation; the lock makes
        # concurrent first operations wait, so no index is created before its template.
        self._auto_configure = auto_configure
        self._configured = False
        self._configure_lock: asyncio.Lock | None = None

    @property
    def client(self) -> SearchClient:
        if self._client is None:
            self._client = build_client(self.config)
        return self._client

    async def call(self, action: str, operation: Callable[[], Awaitable[T]]) -> T:
        """Run ``operation``, converting client exceptions into backend errors.

        With ``configure: true`` the templates are put before the first operation, as
        upstream does at start.
        """
        if self._auto_configure and not self._configured:
            await self._configure_once()
        return await self._call_raw(action, operation)

    async def _call_raw(self, action: str, operation: Callable[[], Awaitable[T]]) -> T:
        try:
            await self.detect()
            return await operation()
        except Exception as exc:
            raise convert(exc, self.config, action) from exc

    async def detect(self) -> engines.Engine:
        """The server's engine and version, asked once, logged, and checked against what we
        support and what the connection names."""
        if self.engine is not None:
            return self.engine
        if self._detect_lock is None:
            self._detect_lock = asyncio.Lock()
        async with self._detect_lock:
            if self.engine is None:
                engine = engines.check_supported(await self._ask_engine(), self._expected())
                log.info(
                    "Connected to %s",
                    engine,
                    extra={"seeds": self.config.client.seeds, "product": engine.product},
                )
                self.engine = engine
        return self.engine

    def _expected(self) -> str:
        return str(getattr(self.config.client, "engine", "auto"))

    async def _ask_engine(self) -> engines.Engine:
        try:
            return engines.from_root(await self.client.request("GET", "/"))
        except ApiError as exc:
            if exc.status not in (404, 405):
                raise
        # Elasticsearch 9's integ-test distribution has no root endpoint (rest-root module)
        _, headers, nodes = await self.client.exchange(
            "GET", "/_nodes/_local", params={"filter_path": "nodes.*.version"}
        )
        return engines.from_nodes(nodes, headers.get("x-elastic-product"))

    async def _configure_once(self) -> None:
        """Put the templates before any first operation; concurrent first calls wait for it,
        so that no index is created before its template exists."""
        if self._configure_lock is None:
            self._configure_lock = asyncio.Lock()
        async with self._configure_lock:
            if not self._configured:
                await self.configure()

    def write_indices(self, doc_type: str) -> list[str]:
        return self.scheme.write_indices(doc_type, self.clock())

    def read_indices(self, doc_type: str, start: int | None = None) -> list[str]:
        return self.scheme.read_indices(doc_type, self.clock(), start)

    async def search(self, doc_type: str, body: dict[str, Any], start: int | None = None) -> Any:
        """A search over the read indices of ``doc_type`` (missing indices are skipped)."""
        indices = self.read_indices(doc_type, start)
        if not indices:
            return {"hits": {"total": {"value": 0}, "hits": []}, "aggregations": {}}
        target, options = ",".join(indices), SEARCH_OPTIONS
        if len(target) > MAX_INDEX_LIST:
            # A long range with dynamic read indices names more indices than a request line
            # holds (4 kB by default): search every index of the type instead.
            target = self.scheme.template_pattern(doc_type)
            options = {**SEARCH_OPTIONS, "expand_wildcards": "open"}
        return await self.call(
            f"search {doc_type}",
            lambda: self._search_settled(target, body, options),
        )

    async def _search_settled(self, target: str, body: dict[str, Any], options: Any) -> Any:
        """A search that waits out shards still starting: a rotating index is created by the
        first write of its period, and until its primary shard has started a search over it
        fails with 503 ``all shards failed``. Retried with backoff for ``SHARD_START_WAIT``
        seconds, then the error goes up (503 at the API)."""
        delay, waited = 0.05, 0.0
        while True:
            try:
                return await self.client.search(target, body, options)
            except Exception as exc:
                if not shards_unavailable(exc) or waited >= SHARD_START_WAIT:
                    raise
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 1.0)

    async def configure(self) -> ConfigureResult:
        """Put the index template of every document type that has none yet."""
        wanted = templates(self.template_name, self.scheme, self.types, self.analysis)
        samples = {
            f"{self.template_name}-{t}": self.scheme.write_indices(t, self.clock())[0]
            for t in self.types
        }

        async def put() -> tuple[list[str], list[str]]:
            engine = await self.detect()
            return await ensure_templates(
                self.client, engine, wanted, samples, self.config.templates
            )

        created, existing = await self._call_raw("configure", put)
        self._configured = True
        label = "elasticsearch template {}".format
        return ConfigureResult(tuple(map(label, created)), tuple(map(label, existing)))

    async def is_ready(self) -> bool:
        try:
            return await self.client.ping()
        except Exception:  # noqa: BLE001 - readiness is a yes/no probe
            return False

    async def refresh(self) -> None:
        """Make every write so far searchable (tests and tools; writes never wait for it)."""
        indices = sorted({i for t in self.types for i in self.write_indices(t)})
        await self.call(
            "refresh",
            lambda: self.client.refresh(",".join(indices), SEARCH_OPTIONS),
        )

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.close()


async def create_documents(client: SearchClient, actions: list[dict[str, Any]], what: str) -> None:
    """One ``_bulk`` of ``create`` actions; a document that exists already (409) is fine, any
    other failed item fails the call, naming how many failed and the first reason."""
    response = await client.bulk(actions)
    if not response.get("errors"):
        return
    failures = [
        item["create"]["error"]
        for item in response["items"]
        if "error" in item.get("create", {}) and item["create"].get("status") != 409
    ]
    if failures:
        reason = failures[0].get("reason") if isinstance(failures[0], dict) else failures[0]
        raise BackendUnavailableError(f"{len(failures)} {what} documents failed: {reason}")
