"""Node routes: ``GET /`` (service info), ``GET /status``, ``GET /backends``, ``GET /metrics``.

Routes only; readiness logic is in ``services.status``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from heroic_api.dependencies import BackendsDep, ContextDep, RequestMetricsDep, SettingsDep
from heroic_api.responses import HeroicJSONResponse
from heroic_api.routing import heroic_router
from heroic_api.services.status import compute_status, describe_backends

router = heroic_router("node")


@router.get("/", summary="Service information")
async def service_info(settings: SettingsDep) -> dict[str, Any]:
    return settings.service.to_json()


@router.get("/status", summary="Health: 200 when every backend (and consumer) is ready, else 503")
async def status(settings: SettingsDep, backends: BackendsDep, context: ContextDep) -> Response:
    code, body = await compute_status(
        settings.service, backends, consumers_source=context.consumer_status
    )
    return HeroicJSONResponse(body, status_code=code)


@router.get("/backends", summary="Configured backends")
async def list_backends(backends: BackendsDep) -> dict[str, Any]:
    return {"data": describe_backends(backends)}


@router.get("/metrics", summary="Prometheus metrics (POST /metrics is a query)")
async def prometheus(metrics: RequestMetricsDep) -> Response:
    return metrics.exposition()
