"""The route class every router uses, so that handler errors become upstream error bodies.

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


class HeroicRoute(APIRoute):
    """A route whose handler errors all become upstream error bodies (never a bare 500)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # noqa: BLE001 - errors.py maps every kind
                return error_response(exc)

        return guarded


def heroic_router(tag: str) -> APIRouter:
    """An ``APIRouter`` using :class:`HeroicRoute`, its routes grouped under ``tag`` in /docs."""
    return APIRouter(route_class=HeroicRoute, tags=[tag])


class PrometheusRoute(APIRoute):
    """A ``/api/v1`` route: handler errors become Prometheus' error body instead of Heroic's."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:  # noqa: BLE001 - errors.py maps every kind
                status, body = error_body(exc)
                return HeroicJSONResponse(body, status)

        return guarded


def prometheus_router(tag: str) -> APIRouter:
    """An ``APIRouter`` for the Prometheus API (``/api/v1``), errors in Prometheus' shape."""
    return APIRouter(route_class=PrometheusRoute, tags=[tag])
