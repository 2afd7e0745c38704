"""Watches of the children's kinds, without kopf: list, then watch from the listing's
resourceVersion (client-go's informer, in miniature).

kopf stays the event source of HeroicClusters. A cluster's children send about twenty watch
events while it comes up (every status update of its Deployments and PodDisruptionBudgets), and
kopf's processing of one event (its per-object worker, memory, causes, loggers and handler
invocation) cost more CPU than the rest of the cluster's reconciles together; here an event is
one JSON decode and one call of the sink.

A dropped connection is resumed from the last resourceVersion seen (events or bookmarks); when
the server no longer has that version (410 Gone), the kind is listed again and the sink is told
the whole listing, so that it can forget what was deleted while nobody watched. Failures are
logged and retried with a capped backoff; the watch never gives up.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any, Protocol

from heroic_operator.kube.client import WATCH_SECONDS, Listing
from heroic_operator.kube.errors import ApiRequestError

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 30.0


class ListWatch(Protocol):
    """What an informer needs of ``Kube``."""

    async def listing(
        self, kind: str, namespace: str | None = None, labels: Mapping[str, str] | None = None
    ) -> Listing: ...

    def watch(
        self,
        kind: str,
        namespace: str | None,
        *,
        labels: Mapping[str, str] | None = None,
        resource_version: str = "",
        timeout_seconds: int = WATCH_SECONDS,
    ) -> AsyncIterator[dict[str, Any]]: ...


class WatchSink(Protocol):
    def event(self, kind: str, type_: str, obj: dict[str, Any]) -> None:
        """One ADDED, MODIFIED or DELETED object."""

    def listed(self, kind: str, namespace: str | None, items: list[dict[str, Any]]) -> None:
        """Every object of ``kind`` (in ``namespace``, or all) that exists now."""


class Informer:
    """Keeps ``sink`` told of every object of ``kind`` with ``labels`` in ``namespace`` (``None``:
    every namespace). ``synced`` is set once the first listing was handed over; a failure is
    retried after ``retry_seconds``, doubled with each failure in a row (at most 30 s)."""

    def __init__(
        self,
        kube: ListWatch,
        kind: str,
        namespace: str | None,
        labels: Mapping[str, str],
        sink: WatchSink,
        *,
        timeout_seconds: int = WATCH_SECONDS,
        retry_seconds: float = 1.0,
    ) -> None:
        self.kube = kube
        self.kind = kind
        self.namespace = namespace
        self.labels = dict(labels)
        self.sink = sink
        self.timeout_seconds = timeout_seconds
        self.retry_seconds = retry_seconds
        self.synced = asyncio.Event()
        #: The API server's time of the first listing (``None`` if it did not say).
        self.listed_at: datetime | None = None

    @property
    def name(self) -> str:
        return f"{self.kind} in {self.namespace or 'all namespaces'}"

    async def run(self) -> None:
        version = ""
        failures = 0
        while True:
            try:
                if not version:
                    version = await self._list()
                resumed = await self._watch(version)
                # a watch that ends at once with nothing new is waited on like a failure
                failures = 0 if resumed != version else failures + 1
                version = resumed
                if failures:
                    await asyncio.sleep(self.retry_seconds)
            except ApiRequestError as exc:
                if exc.status == 410:  # the version to resume from is gone: list again
                    version = ""
                    continue
                failures += 1
                delay = min(MAX_BACKOFF_SECONDS, self.retry_seconds * 2.0 ** (failures - 1))
                delay *= random.uniform(0.8, 1.0)  # noqa: S311 - jitter, not a secret
                logger.warning("Watch of %s failed, again in %.0fs: %s", self.name, delay, exc)
                await asyncio.sleep(delay)

    async def _list(self) -> str:
        listing = await self.kube.listing(self.kind, self.namespace, self.labels)
        self.sink.listed(self.kind, self.namespace, listing.items)
        if not self.synced.is_set():
            self.listed_at = listing.served_at
            self.synced.set()
        return listing.resource_version

    async def _watch(self, version: str) -> str:
        """Stream events from ``version`` until the server ends the request; the version to go
        on from."""
        events = self.kube.watch(
            self.kind,
            self.namespace,
            labels=self.labels,
            resource_version=version,
            timeout_seconds=self.timeout_seconds,
        )
        async for event in events:
            type_ = event.get("type")
            obj = event.get("object") or {}
            if type_ == "ERROR":
                raise ApiRequestError(int(obj.get("code") or 0), str(obj.get("message") or obj))
            version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
            if type_ in ("ADDED", "MODIFIED", "DELETED"):
                self.sink.event(self.kind, str(type_), obj)
        return version
