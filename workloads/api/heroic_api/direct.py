"""The hot query routes answered straight from ASGI, past FastAPI's router, its request and
response wrappers and its dependency solving, which cost a small query about a quarter of its
CPU.

FastAPI keeps these routes (their OpenAPI documents, and every request this middleware leaves
to it). A route's handler (``routers.query``'s ``answer_*``) is the one its FastAPI endpoint
calls, given the same arguments, computed by the same functions (``dependencies``) in the same
order, and its errors become the same bodies (``errors.error_response``, as ``HeroicRoute``'s).
Installed inside every other middleware (CORS, client id, metrics, tracing, body limits, gzip),
which apply unchanged. A request is left to FastAPI when the application overrides a
dependency of its route (``app.dependency_overrides``) or is served under a root path. This
module holds no endpoint logic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from heroic_api.context import ApiContext
from heroic_api.dependencies import query_engine
from heroic_api.errors import error_response
from heroic_api.services.query import QueryEngine

#: A query route's handler: (request, engine, now, backend group) → the response.
QueryHandler = Callable[[Request, QueryEngine, int, str | None], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class DirectRoute:
    """A ``POST`` route answered here by ``handler``, as its FastAPI endpoint answers it."""

    route: APIRoute
    handler: QueryHandler
    #: The query parameter naming the backend group.
    group_parameter: str
    #: Every dependency FastAPI solves for the route (an override of one sends it to FastAPI).
    dependencies: frozenset[Callable[..., Any]]


def direct_route(
    router: APIRouter, path: str, handler: QueryHandler, group_parameter: str
) -> DirectRoute:
    """The ``POST`` route ``path`` of ``router``, answered by ``handler``."""
    for route in router.routes:
        if isinstance(route, APIRoute) and route.path == path and "POST" in (route.methods or ()):
            calls = frozenset(_calls(route.dependant))
            return DirectRoute(route, handler, group_parameter, calls)
    raise LookupError(f"{router!r} has no POST route {path}")


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


class DirectQueryRoutes:
    """Answers the ``POST`` requests of its routes; passes every other request on."""

    def __init__(self, app: ASGIApp, *, routes: Sequence[DirectRoute]) -> None:
        self.app = app
        self.routes = {direct.route.path: direct for direct in routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        direct = self._route(scope)
        if direct is None:
            await self.app(scope, receive, send)
            return
        # As FastAPI's router sets them: the metrics' endpoint label and the request span's
        # http.route read the matched route.
        scope["route"] = direct.route
        scope["endpoint"] = direct.route.endpoint
        scope["path_params"] = {}
        request = Request(scope, receive, send)
        try:
            response = await _answer(direct, request)
        except Exception as exc:  # noqa: BLE001 - every kind has its body, as in HeroicRoute
            response = error_response(exc)
        await response(scope, receive, send)

    def _route(self, scope: Scope) -> DirectRoute | None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope.get("root_path"):
            return None
        direct = self.routes.get(scope["path"])
        if direct is None:
            return None
        overrides = scope["app"].dependency_overrides
        if overrides and not direct.dependencies.isdisjoint(overrides):
            return None
        return direct


async def _answer(direct: DirectRoute, request: Request) -> Response:
    """The handler's response; its arguments in the order FastAPI solves them."""
    context: ApiContext = request.app.state.heroic
    engine = query_engine(context, request)
    now = context.clock()
    # Most queries have no query string; parsing an empty one costs a few microseconds.
    group = (
        request.query_params.get(direct.group_parameter) if request.scope["query_string"] else None
    )
    return await direct.handler(request, engine, now, group)
