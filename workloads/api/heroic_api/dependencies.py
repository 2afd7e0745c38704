"""FastAPI dependencies: ``Annotated`` aliases giving routes the settings, backends and services.

Everything reaches routes through these, never through module globals, so tests can swap any
piece with ``app.dependency_overrides``. They are ``async`` although none awaits: FastAPI runs a
plain ``def`` dependency in a worker thread, a hop per dependency and request. No request
handling here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from opentelemetry.trace import Tracer
from starlette.requests import Request

from heroic_api.cluster.federated_metadata import FederatedMetadataService
from heroic_api.cluster.federation import Federation
from heroic_api.cluster.protocol import FEDERATED_HEADER
from heroic_api.context import ApiContext, Clock
from heroic_api.errors import BackendCallError, ShuttingDownError
from heroic_api.metrics import RequestMetrics
from heroic_api.services.metadata import MetadataService
from heroic_api.services.prometheus.remote_write import RemoteWriteService
from heroic_api.services.query import QueryEngine
from heroic_api.services.write import WriteService
from heroic_api.settings import ApiSettings
from heroic_core.backends.group import Backends
from heroic_core.promql.names import NameEscaping


async def get_context(request: Request) -> ApiContext:
    """The application's :class:`ApiContext`."""
    context: ApiContext = request.app.state.heroic
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]


async def get_settings(context: ContextDep) -> ApiSettings:
    return context.settings


async def get_backends(context: ContextDep) -> Backends:
    """The open backends; 503 while they are not open (starting or stopped)."""
    return _open_backends(context)


def _open_backends(context: ApiContext) -> Backends:
    if context.backends is None:
        if context.stopping:
            raise ShuttingDownError()
        raise BackendCallError("Heroic is starting: backends are not open yet", 503)
    return context.backends


async def get_clock(context: ContextDep) -> Clock:
    return context.clock


async def get_now(clock: Annotated[Clock, Depends(get_clock)]) -> int:
    """This request's "now" (ms): read once, so every part of a request sees the same instant
    (FastAPI caches a dependency's value for the request)."""
    return clock()


async def get_request_metrics(context: ContextDep) -> RequestMetrics:
    return context.metrics


SettingsDep = Annotated[ApiSettings, Depends(get_settings)]
BackendsDep = Annotated[Backends, Depends(get_backends)]
NowDep = Annotated[int, Depends(get_now)]
RequestMetricsDep = Annotated[RequestMetrics, Depends(get_request_metrics)]


async def get_tracer(context: ContextDep) -> Tracer:
    """The app's tracer (OpenTelemetry's no-op one while tracing is off)."""
    return context.tracing.tracer


TracerDep = Annotated[Tracer, Depends(get_tracer)]


def _federation(context: ApiContext, request: Request) -> Federation | None:
    """The federation to fan out to; ``None`` for a request a federating peer sent, which
    this node answers from its own shard (a federated query never fans out again)."""
    if FEDERATED_HEADER in request.headers:
        return None
    return context.federation


async def get_query_engine(context: ContextDep, request: Request) -> QueryEngine:
    """The query engine over the open backends (see :func:`query_engine`)."""
    return query_engine(context, request)


def query_engine(context: ApiContext, request: Request) -> QueryEngine:
    """The query engine over the open backends (503 while they are not open); its tracer is
    the app's. It depends on the context and the request alone: every dependency costs a
    query some tens of microseconds to solve, and ``heroic_api.direct`` calls it unsolved."""
    federation = _federation(context, request)
    return QueryEngine(
        context.settings,
        _open_backends(context),
        context.tracing.tracer,
        context.query_cache,
        context.query_log,
        admission=context.admission,
        shards=None if federation is None else federation.queries.run,
        shards_of=None if federation is None else federation.shards,
    )


QueryEngineDep = Annotated[QueryEngine, Depends(get_query_engine)]


async def get_write_service(context: ContextDep, backends: BackendsDep) -> WriteService:
    return WriteService(
        context.settings.ingestion, backends, context.write_slots, context.ingestion_filter
    )


WriteServiceDep = Annotated[WriteService, Depends(get_write_service)]


async def get_metadata_service(
    context: ContextDep,
    backends: BackendsDep,
    now: NowDep,
    request: Request,
    group: Annotated[str | None, Query(description="backend group")] = None,
) -> MetadataService:
    federation = _federation(context, request)
    if federation is not None:
        return FederatedMetadataService(federation.fanout, now, group)
    return MetadataService(backends, now, group)


MetadataServiceDep = Annotated[MetadataService, Depends(get_metadata_service)]


async def get_remote_write_service(
    context: ContextDep, writes: WriteServiceDep
) -> RemoteWriteService:
    settings = context.settings
    escaping = NameEscaping(settings.prometheus.name_escaping)
    return RemoteWriteService(
        writes, context.metrics.remote_write, escaping, settings.max_request_body_size
    )


RemoteWriteServiceDep = Annotated[RemoteWriteService, Depends(get_remote_write_service)]
