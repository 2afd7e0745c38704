"""``GET /status`` (reference 2.5): readiness of every backend, in upstream's body.

``consumers`` describes the consumers of this process: ``heroic api`` runs none and reports
zero (ok); ``heroic node`` runs the API and its consumers together and passes their status in,
so a stuck or paused consumer makes ``/status`` a 503 there. Difference from upstream, on
purpose: upstream counts every metadata backend as ready; here ``metadataBackend`` really asks
the metadata *and* suggest backends, so ``/status`` answers 503 when any backend is unhealthy. A
backend whose readiness check raises or takes longer than ``timeout`` seconds is not ready.
Must not change any backend state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from heroic_core.backends.base import Backend
from heroic_core.backends.group import Backends

logger = logging.getLogger(__name__)

#: Upstream's ``consumers`` object of ``/status`` when this process runs no consumer.
NO_CONSUMERS: dict[str, Any] = {
    "ok": True,
    "available": 0,
    "ready": 0,
    "errors": 0,
    "consumingThreads": 0,
    "totalThreads": 0,
}

#: Node counts of a node that does not federate: it is the one online node. Shared by
#: ``/status`` and ``/cluster/status``.
LOCAL_CLUSTER_NODES: dict[str, int] = {"onlineNodes": 1, "offlineNodes": 0}

#: Returns the ``consumers`` object for the consumers running in this process.
ConsumerStatusSource = Callable[[], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """``service`` of ``/status`` and the body of ``GET /``."""

    name: str
    version: str
    id: str
    commit: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "version": self.version, "id": self.id, "commit": self.commit}


async def _ready(backend: Backend, timeout: float) -> bool:
    try:
        return bool(await asyncio.wait_for(backend.is_ready(), timeout))
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        logger.warning("Backend %s is not ready: %s", backend.id, exc)
        return False


async def _readiness(members: Sequence[Backend], timeout: float) -> dict[str, Any]:
    ready = await asyncio.gather(*(_ready(b, timeout) for b in members))
    count = sum(ready)
    return {"ok": count == len(members), "available": len(members), "ready": count}


def _consumer_status(source: ConsumerStatusSource | None) -> dict[str, Any]:
    if source is None:
        return dict(NO_CONSUMERS)
    try:
        return {**NO_CONSUMERS, **source()}
    except Exception as exc:  # noqa: BLE001 - a broken status source means "not ok"
        logger.warning("Consumer status unavailable: %s", exc)
        return {**NO_CONSUMERS, "ok": False}


@dataclass(frozen=True, slots=True)
class BackendReadiness:
    """``backends`` and ``metadataBackend`` of ``/status``."""

    metrics: dict[str, Any]
    metadata: dict[str, Any]


async def check_backends(backends: Backends, timeout: float = 5.0) -> BackendReadiness:
    """Ask every backend whether it is ready (each answer within ``timeout`` seconds)."""
    metrics = await _readiness(backends.metrics.members, timeout)
    metadata = await _readiness((*backends.metadata.members, *backends.suggest.members), timeout)
    return BackendReadiness(metrics, metadata)


async def compute_status(
    service: ServiceInfo,
    backends: Backends,
    timeout: float = 5.0,
    consumers_source: ConsumerStatusSource | None = None,
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body): 200 when every part is ok, else 503 with the same body."""
    readiness = await check_backends(backends, timeout)
    return status_of(service, readiness, consumers_source)


def status_of(
    service: ServiceInfo,
    readiness: BackendReadiness,
    consumers_source: ConsumerStatusSource | None = None,
    cluster_nodes: dict[str, int] | None = None,
) -> tuple[int, dict[str, Any]]:
    """(HTTP status, body) from backend readiness already known and the consumers' now;
    ``cluster_nodes`` (online/offline) of a federating node, else this node alone."""
    metrics, metadata = readiness.metrics, readiness.metadata
    consumers = _consumer_status(consumers_source)
    nodes = LOCAL_CLUSTER_NODES if cluster_nodes is None else cluster_nodes
    # upstream: ok unless every known node is offline
    cluster_ok = nodes["offlineNodes"] == 0 or nodes["onlineNodes"] > 0
    cluster = {"ok": cluster_ok, **nodes}
    ok = bool(consumers["ok"] and metrics["ok"] and metadata["ok"] and cluster["ok"])
    body = {
        "service": service.to_json(),
        "ok": ok,
        "consumers": consumers,
        "backends": metrics,
        "metadataBackend": metadata,
        "cluster": cluster,
    }
    return (200 if ok else 503), body


def describe_backends(backends: Backends) -> list[str]:
    """``GET /backends``: one line per backend, ``<kind> <class>(id=…, groups=[…])``."""
    lines: list[str] = []
    for kind, group in (
        ("metrics", backends.metrics.members),
        ("metadata", backends.metadata.members),
        ("suggest", backends.suggest.members),
    ):
        for backend in group:
            groups = ", ".join(sorted(backend.groups))
            lines.append(f"{kind} {type(backend).__name__}(id={backend.id}, groups=[{groups}])")
    return lines
