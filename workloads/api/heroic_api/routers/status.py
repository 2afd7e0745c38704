"""Node routes: ``GET /`` (service info), ``GET /status``, ``GET /backends``, ``GET /metrics``,
and the probes ``GET /readyz`` (the same as ``/status``) and ``GET /healthz`` (the event loop
answers).

Routes only; readiness logic is in ``services.status``. ``/status`` and ``/readyz`` read the
backend readiness the node last checked in the background (``services.readiness``), so they
never wait for a backend.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from heroic_api.dependencies import BackendsDep, ContextDep, RequestMetricsDep, SettingsDep
from heroic_api.responses import HeroicJSONResponse
from heroic_api.routing import heroic_router
from heroic_api.services.status import check_backends, describe_backends, status_of

router = heroic_router("node")


@router.get("/", summary="Service information")
async def service_info(settings: SettingsDep) -> dict[str, Any]:
    return settings.service.to_json()


@router.get("/status", summary="Health: 200 when every backend (and consumer) is ready, else 503")
async def status(settings: SettingsDep, backends: BackendsDep, context: ContextDep) -> Response:
    readiness = context.readiness.last or await check_backends(backends)
    federation = context.federation
    nodes = None if federation is None else federation.manager.registry.statistics()
    code, body = status_of(settings.service, readiness, context.consumer_status, nodes)
    return HeroicJSONResponse(body, status_code=code)


@router.get("/readyz", summary="Readiness probe: the same answer as /status")
async def readyz(settings: SettingsDep, backends: BackendsDep, context: ContextDep) -> Response:
    return await status(settings, backends, context)


@router.get("/healthz", summary="Liveness probe: 200 while the node answers requests")
async def healthz() -> dict[str, bool]:
    return {"ok": True}


@router.get("/backends", summary="Configured backends")
async def list_backends(backends: BackendsDep) -> dict[str, Any]:
    return {"data": describe_backends(backends)}


@router.get("/metrics", summary="Prometheus metrics (POST /metrics is a query)")
async def prometheus(metrics: RequestMetricsDep) -> Response:
    return metrics.exposition()
