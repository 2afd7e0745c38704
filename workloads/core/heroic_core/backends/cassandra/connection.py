"""cassandra-driver plumbing: the ``Cluster`` from config, futures bridged to asyncio, and the
conversion of driver exceptions into ``BackendUnavailableError`` / ``BackendRejectedError``.

The one module that knows the driver's exception types. It runs no schema or data statements.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import cassandra
from cassandra import protocol
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, NoHostAvailable
from cassandra.cluster import ResponseFuture as _ResponseFuture

from heroic_core.backends.errors import BackendError, BackendRejectedError, BackendUnavailableError
from heroic_core.config.metrics import DatastaxMetricConfig, PlainAuthentication

DEFAULT_PORT = 9042
_CONNECT_TIMEOUT = 10.0

_PERMANENT: tuple[type[BaseException], ...] = (
    cassandra.RequestValidationException,  # invalid request, unauthorized, configuration
    protocol.RequestValidationException,  # syntax errors and the like
    protocol.BadCredentials,
    cassandra.AuthenticationFailed,
)


def contact_points(config: DatastaxMetricConfig) -> list[tuple[str, int]]:
    """``seeds`` as ``(host, port)``; a seed without a port uses 9042."""
    out: list[tuple[str, int]] = []
    for seed in config.seeds:
        host, sep, port = seed.rpartition(":")
        if not sep or "]" in port:
            out.append((seed.strip("[]"), DEFAULT_PORT))
            continue
        if not port.isdigit():
            raise BackendRejectedError(f"invalid cassandra seed {seed!r}: port must be a number")
        out.append((host.strip("[]"), int(port)))
    return out


def build_cluster(config: DatastaxMetricConfig) -> Cluster:
    """An unconnected ``Cluster`` with the configured seeds, auth, consistency and timeout."""
    auth = None
    if isinstance(config.authentication, PlainAuthentication):
        try:
            password = config.authentication.resolve_password()
        except (OSError, ValueError) as exc:
            raise BackendRejectedError(f"cassandra password: {exc}") from exc
        auth = PlainTextAuthProvider(config.authentication.username, password)
    profile = ExecutionProfile(
        consistency_level=cassandra.ConsistencyLevel.name_to_value[config.consistency_level],
        request_timeout=config.read_timeout.seconds,
    )
    return Cluster(
        contact_points=contact_points(config),
        auth_provider=auth,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
        connect_timeout=_CONNECT_TIMEOUT,
        control_connection_timeout=_CONNECT_TIMEOUT,
    )


def describe(config: DatastaxMetricConfig) -> str:
    return f"cassandra {','.join(config.seeds)} keyspace {config.schema_.keyspace}"


def convert(exc: BaseException, config: DatastaxMetricConfig, action: str) -> BackendError:
    """Our error for a driver exception raised while doing ``action``."""
    if isinstance(exc, BackendError):
        return exc
    detail = f"{describe(config)}: {action} failed: {type(exc).__name__}: {_message(exc)}"
    if isinstance(exc, NoHostAvailable) and exc.errors:
        causes = list(exc.errors.values())
        if all(isinstance(c, _PERMANENT) for c in causes):
            return BackendRejectedError(detail)
        return BackendUnavailableError(detail)
    if isinstance(exc, _PERMANENT):
        return BackendRejectedError(detail)
    return BackendUnavailableError(detail)


def _message(exc: BaseException) -> str:
    if isinstance(exc, NoHostAvailable) and exc.errors:
        text = "; ".join(f"{host}: {err}" for host, err in exc.errors.items())
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:400]


async def all_rows(future: _ResponseFuture) -> list[Any]:
    """Every row of a statement started with ``execute_async``, fetching all pages."""
    loop = asyncio.get_running_loop()
    pages: asyncio.Queue[tuple[list[Any] | None, BaseException | None]] = asyncio.Queue()

    def on_rows(rows: list[Any]) -> None:
        loop.call_soon_threadsafe(pages.put_nowait, (list(rows or ()), None))

    def on_error(exc: BaseException) -> None:
        loop.call_soon_threadsafe(pages.put_nowait, (None, exc))

    future.add_callbacks(on_rows, on_error)
    out: list[Any] = []
    while True:
        rows, error = await pages.get()
        if error is not None:
            raise error
        out.extend(rows or ())
        if not future.has_more_pages:
            return out
        future.start_fetching_next_page()


async def pages(future: _ResponseFuture) -> AsyncIterator[list[Any]]:
    """The rows of a statement started with ``execute_async``, a page at a time; the next page
    is requested only when the caller asks for it (a slow consumer holds no rows back)."""
    loop = asyncio.get_running_loop()
    arrived: asyncio.Queue[tuple[list[Any] | None, BaseException | None]] = asyncio.Queue()

    def on_rows(rows: list[Any]) -> None:
        loop.call_soon_threadsafe(arrived.put_nowait, (list(rows or ()), None))

    def on_error(exc: BaseException) -> None:
        loop.call_soon_threadsafe(arrived.put_nowait, (None, exc))

    future.add_callbacks(on_rows, on_error)
    while True:
        rows, error = await arrived.get()
        if error is not None:
            raise error
        yield rows or []
        if not future.has_more_pages:
            return
        future.start_fetching_next_page()
