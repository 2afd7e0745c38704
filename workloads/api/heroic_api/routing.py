"""The route classes routers use, so that handler errors become error bodies (upstream
Heroic's, or Prometheus' under ``/api/v1``).

Must not know about any endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from heroic_api.errors import error_response
from heroic_api.responses import HeroicJSONResponse
from heroic_api.services.prometheus.errors import error_body

ErrorResponder = Callable[[BaseException], Response]


def _guarded(respond: ErrorResponder) -> type[APIRoute]:
    """A route class whose handler errors all become ``respond(exc)`` (never a bare 500)."""

    class GuardedRoute(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def guarded(request: Request) -> Response:
                try:
                    return await handler(request)
                except Exception as exc:  # noqa: BLE001 - the responder maps every kind
                    return respond(exc)

            return guarded

    return GuardedRoute


def _prometheus_error(exc: BaseException) -> Response:
    status, body = error_body(exc)
    return HeroicJSONResponse(body, status)


#: Handler errors become upstream Heroic's error bodies.
HeroicRoute = _guarded(error_response)
#: ``/api/v1`` handler errors become Prometheus' error bodies.
PrometheusRoute = _guarded(_prometheus_error)


def heroic_router(tag: str) -> APIRouter:
    """An ``APIRouter`` using :class:`HeroicRoute`, its routes grouped under ``tag`` in /docs."""
    return APIRouter(route_class=HeroicRoute, tags=[tag])


def prometheus_router(tag: str) -> APIRouter:
    """An ``APIRouter`` for the Prometheus API (``/api/v1``), errors in Prometheus' shape."""
    return APIRouter(route_class=PrometheusRoute, tags=[tag])
