"""Backend readiness for the probes, checked in the background.

``/status``, ``/readyz`` and ``/healthz`` must answer within milliseconds however busy the node
is. Asking each backend on every probe would put a round trip (a CQL query, an Elasticsearch
health call) behind the queries that keep that backend busy, so a ``ReadinessMonitor`` asks
every ``interval`` seconds and the probes read its last answer. The first check runs before the
node serves. This module must not change any backend state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from heroic_api.services.status import BackendReadiness, check_backends
from heroic_core.backends.group import Backends

logger = logging.getLogger(__name__)

#: Seconds between two checks; a probe's answer is at most this old (plus one check).
CHECK_INTERVAL_SECONDS = 2.0
#: A backend that does not answer within this many seconds is not ready.
CHECK_TIMEOUT_SECONDS = 5.0


class ReadinessMonitor:
    """The last known readiness of one node's backends, refreshed in the background."""

    def __init__(
        self,
        interval: float = CHECK_INTERVAL_SECONDS,
        timeout: float = CHECK_TIMEOUT_SECONDS,
    ) -> None:
        self.interval = interval
        self.timeout = timeout
        self.last: BackendReadiness | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, backends: Backends) -> None:
        """Check once now, then every ``interval`` seconds until :meth:`stop`."""
        self.last = await check_backends(backends, self.timeout)
        self._task = asyncio.create_task(self._watch(backends), name="heroic-readiness")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _watch(self, backends: Backends) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                self.last = await check_backends(backends, self.timeout)
            except Exception:  # a failed round must not end the checks
                logger.exception("Readiness check failed")
