"""``GET /status`` of the consumer node, in the body upstream's node answers (reference 2.5), so
that health checks written for upstream keep working against the consumer.

``consumers`` is ``ConsumerNode.status()``; ``backends`` counts the metric backends this node
writes to and ``metadataBackend`` its metadata and suggest backends: a backend is ready when
its readiness check answers true within ``timeout`` seconds and writes to it are not being
retried. A consumer serves no federation: ``cluster`` is this one node. 200 when every part is
ok, else 503 with the same body. Reads state only; changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from heroic_core.backends.base import Backend
from heroic_core.config import HeroicConfig
from heroic_core.version import package_version

log = logging.getLogger(__name__)

#: Upstream's default ``service`` name.
DEFAULT_SERVICE_NAME = "The Heroic Time Series Database"
#: A node without federation is the one online node of its cluster.
LOCAL_CLUSTER = {"ok": True, "onlineNodes": 1, "offlineNodes": 0}


def service_info(config: HeroicConfig) -> dict[str, str]:
    """``service`` of ``/status``: heroic.yml's ``service``, ``version`` and ``id``."""
    return {
        "name": config.service or DEFAULT_SERVICE_NAME,
        "version": config.version or package_version(),
        "id": config.id or "heroic",
        "commit": "",
    }


@dataclass(frozen=True, slots=True)
class StatusSources:
    """Where ``/status`` reads its parts from."""

    service: dict[str, str]
    consumers: Callable[[], dict[str, Any]]
    #: The backends written to per function (metrics, metadata, suggest).
    backends: dict[str, Sequence[Backend]]
    #: ``(backend id, function)`` -> writes of that function to it are being retried.
    failing: Callable[[str, str], bool]
    timeout: float = 5.0


async def _ready(sources: StatusSources, function: str, backend: Backend) -> bool:
    if sources.failing(backend.id, function):
        return False
    try:
        return bool(await asyncio.wait_for(backend.is_ready(), sources.timeout))
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        log.warning("Backend %s is not ready: %s", backend.id, exc, extra={"backend": backend.id})
        return False


async def _readiness(sources: StatusSources, *functions: str) -> dict[str, Any]:
    members = [(f, b) for f in functions for b in sources.backends.get(f, ())]
    ready = await asyncio.gather(*(_ready(sources, f, b) for f, b in members))
    count = sum(ready)
    return {"ok": count == len(members), "available": len(members), "ready": count}


async def compute_status(sources: StatusSources) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) of ``/status``."""
    metrics = await _readiness(sources, "metrics")
    metadata = await _readiness(sources, "metadata", "suggest")
    consumers = sources.consumers()
    ok = bool(consumers["ok"] and metrics["ok"] and metadata["ok"])
    body = {
        "service": sources.service,
        "ok": ok,
        "consumers": consumers,
        "backends": metrics,
        "metadataBackend": metadata,
        "cluster": dict(LOCAL_CLUSTER),
    }
    return (200 if ok else 503), body
