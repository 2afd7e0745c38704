"""The FastAPI application factory of the API node.

``create_app(config, backends)`` wires routers, the cross-cutting middleware (CORS, shutdown
guard, path rewrites, client id), Prometheus metrics and the error mapping. Its lifespan opens
the backends from the config (unless the caller passed some, which the caller then owns and
closes) and closes them on shutdown, answering 503 from the moment stopping begins. This module
must not contain endpoint logic.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from heroic_api.cluster.wiring import install_federation
from heroic_api.context import ApiContext
from heroic_api.direct import DirectQueryRoutes
from heroic_api.encoding import add_encoding_middleware
from heroic_api.errors import handle_exception
from heroic_api.metrics import MetricsMiddleware
from heroic_api.middleware import HeroicMiddleware
from heroic_api.responses import HeroicJSONResponse
from heroic_api.settings import settings_from_config
from heroic_api.tracing.middleware import install_tracing
from heroic_api.tracing.setup import build_tracing
from heroic_core.backends.group import Backends
from heroic_core.config import HeroicConfig

logger = logging.getLogger(__name__)


async def open_backends(context: ApiContext, config: HeroicConfig) -> None:
    """Build the configured backends unless the caller supplied them."""
    if context.backends is not None:
        return
    from heroic_core.backends.factory import build_backends  # noqa: PLC0415 (heavy import)

    context.backends = build_backends(config)
    context.owns_backends = True


def _lifespan(context: ApiContext, config: HeroicConfig) -> Callable[[FastAPI], Any]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await open_backends(context, config)
        if context.backends is not None:
            await context.readiness.start(context.backends)
        if context.federation is not None:
            await context.federation.start()
        context.stopping = False
        logger.info("Startup finished, hello!")
        try:
            yield
        finally:
            context.stopping = True
            if context.federation is not None:
                await context.federation.stop()
            context.tracing.flush()
            await context.query_cache.close()
            await context.readiness.stop()
            if context.owns_backends and context.backends is not None:
                await context.backends.close()
                context.backends = None
            logger.info("Shutdown finished")

    return lifespan


def create_app(config: HeroicConfig | None = None, backends: Backends | None = None) -> FastAPI:
    """The API node application; memory backends from the default config when both are None."""
    from heroic_api.routers import (  # noqa: PLC0415
        cluster,
        metadata,
        node_protocol,
        parser,
        prometheus,
        query,
        remote_write,
        render,
        status,
        write,
    )

    config = config if config is not None else HeroicConfig.default()
    context = ApiContext(settings=settings_from_config(config), backends=backends)
    settings = context.settings
    context.tracing = build_tracing(settings.tracing, settings.service, settings.node_id)
    install_federation(context, config.cluster)
    app = FastAPI(
        title="Heroic",
        description="The Heroic time series database API (upstream-compatible).",
        version=context.settings.service.version,
        lifespan=_lifespan(context, config),
        default_response_class=HeroicJSONResponse,
    )
    app.state.heroic = context
    modules = (
        status, query, write, metadata, parser, cluster, node_protocol, render, prometheus,
        remote_write,
    )  # fmt: skip
    for module in modules:
        app.include_router(module.router)
    for exc_type in (StarletteHTTPException, RequestValidationError, Exception):
        app.add_exception_handler(exc_type, handle_exception)
    # Innermost: the hot query routes past FastAPI's routing (every middleware still applies).
    app.add_middleware(DirectQueryRoutes, routes=query.direct_routes())
    app.add_middleware(
        HeroicMiddleware,
        enable_cors=context.settings.enable_cors,
        cors_allow_origin=context.settings.cors_allow_origin,
        is_stopping=context.is_stopping,
    )
    app.add_middleware(MetricsMiddleware, metrics=context.metrics)
    add_encoding_middleware(app, context.settings.max_request_body_size)
    install_tracing(app, context.tracing)  # outermost: the request span covers everything
    return app
