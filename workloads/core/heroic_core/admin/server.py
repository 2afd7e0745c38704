"""A node's admin endpoint (heroic.yml ``shellServer:``): the HTTP side of ``heroic shell
--connect``, on its own port, in the node's own event loop.

Off unless ``shellServer`` is present. Bound to ``shellServer.host`` (loopback by default);
bound anywhere else it needs a token in ``HEROIC_ADMIN_TOKEN`` (never in heroic.yml, which the
operator puts in a ConfigMap) and refuses to start without one. With a token set, every request
must carry it (``Authorization: Bearer``). The operator never renders ``shellServer`` and no
Service exposes this port.

``GET /tasks`` lists the tasks; ``POST /tasks/{name}`` with ``{"argv": [...]}`` runs one and
streams its output as JSON lines: ``{"out": line}``, ``{"err": line}``, and last ``{"exit":
code}``. A client that goes away cancels its task. What a task does is the runner's business.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import json
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import uvicorn
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from heroic_core.admin.control import Output
from heroic_core.config import ShellServerConfig
from heroic_core.errors import HeroicError

log = logging.getLogger(__name__)

TOKEN_ENV = "HEROIC_ADMIN_TOKEN"  # noqa: S105 - a variable's name, not a secret
NDJSON = "application/x-ndjson"
#: Seconds a stopping node gives open task streams before closing them.
SHUTDOWN_GRACE = 2


class AdminConfigError(HeroicError):
    """The admin endpoint cannot start as configured; the message says why."""


class TaskRunner(Protocol):
    """Runs task lines: the node tasks (API, consumer) or every shell task (``heroic node``)."""

    def tasks(self) -> Mapping[str, str]:
        """Task name -> one line of help."""
        ...

    async def run(self, argv: Sequence[str], out: Output) -> int:
        """Run a task name and its arguments, writing to ``out``; the exit code."""
        ...


class TaskRequest(BaseModel):
    """The body of ``POST /tasks/{name}``: the task's arguments."""

    model_config = ConfigDict(extra="forbid")
    argv: list[str] = []


def is_loopback(host: str) -> bool:
    """``host`` is reachable only from this machine (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a name other than localhost: it may resolve to anything
        return False


def admin_token(config: ShellServerConfig, environ: Mapping[str, str] | None = None) -> str | None:
    """The token requests must carry (``None``: none needed, the endpoint is loopback only)."""
    token = (os.environ if environ is None else environ).get(TOKEN_ENV) or None
    if token is None and not is_loopback(config.host):
        raise AdminConfigError(
            f"shellServer.host {config.host!r} is not a loopback address: set {TOKEN_ENV} "
            "(from a Secret, not heroic.yml) or bind shellServer to localhost"
        )
    return token


class _Events:
    """An ``Output`` that queues the task's lines as stream events."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    def line(self, text: str = "") -> None:
        self.queue.put_nowait({"out": text})

    def note(self, text: str) -> None:
        self.queue.put_nowait({"err": text})


async def _stream(runner: TaskRunner, argv: list[str]) -> AsyncIterator[bytes]:
    events = _Events()

    async def work() -> None:
        try:
            code = await runner.run(argv, events)
        except Exception as exc:
            log.exception("Admin task %s failed", argv[0])
            events.note(f"error: {argv[0]}: {exc or type(exc).__name__}")
            code = 1
        events.queue.put_nowait({"exit": code})
        events.queue.put_nowait(None)

    task = asyncio.create_task(work())
    try:
        while (event := await events.queue.get()) is not None:
            yield json.dumps(event).encode() + b"\n"
    finally:
        # The client left (or the server stops): the task must not outlive its stream.
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def build_admin_app(runner: TaskRunner, token: str | None) -> Starlette:
    """The endpoint's ASGI application."""

    def refused(request: Request) -> Response | None:
        if token is None:
            return None
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), token.encode()):
            return None
        return JSONResponse({"error": f"a valid token ({TOKEN_ENV}) is required"}, 401)

    async def list_tasks(request: Request) -> Response:
        return refused(request) or JSONResponse({"tasks": dict(runner.tasks())})

    async def run_task(request: Request) -> Response:
        if (denied := refused(request)) is not None:
            return denied
        try:
            body = TaskRequest.model_validate_json(await request.body() or b"{}")
        except ValidationError as exc:
            return JSONResponse({"error": f"invalid request body: {exc.errors()[0]['msg']}"}, 400)
        argv = [request.path_params["name"], *body.argv]
        return StreamingResponse(_stream(runner, argv), media_type=NDJSON)

    return Starlette(
        routes=[
            Route("/tasks", list_tasks, methods=["GET"]),
            Route("/tasks/{name}", run_task, methods=["POST"]),
        ]
    )


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server inside a process that owns its signals (it installs no handler)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise AdminConfigError(f"shellServer cannot listen on {host}:{port}: {exc}") from None
    return sock


class AdminServer:
    """A running admin endpoint; ``close()`` stops it."""

    def __init__(self, server: EmbeddedServer, task: asyncio.Task[None], host: str, port: int):
        self.server = server
        self.task = task
        self.host = host
        self.port = port

    async def close(self) -> None:
        self.server.should_exit = True
        with contextlib.suppress(Exception):
            await self.task
        log.info("Admin endpoint closed", extra={"port": self.port})


async def start_admin_server(
    config: ShellServerConfig | None,
    runner: TaskRunner,
    environ: Mapping[str, str] | None = None,
) -> AdminServer | None:
    """Serve ``runner`` as ``config`` says; ``None`` (nothing bound) when ``config`` is."""
    if config is None:
        return None
    token = admin_token(config, environ)
    sock = _bind(config.host, config.port)
    server = EmbeddedServer(
        uvicorn.Config(
            build_admin_app(runner, token),
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=SHUTDOWN_GRACE,
        )
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            sock.close()
            task.result()
            raise AdminConfigError("shellServer: the admin endpoint did not start")
        await asyncio.sleep(0.01)
    port = sock.getsockname()[1]
    log.info(
        "Admin endpoint listening on %s:%s", config.host, port,
        extra={"host": config.host, "port": port, "token": token is not None},
    )  # fmt: skip
    return AdminServer(server, task, config.host, port)


@asynccontextmanager
async def admin_server(
    config: ShellServerConfig | None, runner: TaskRunner
) -> AsyncIterator[AdminServer | None]:
    """``start_admin_server`` for the duration of a block."""
    server = await start_admin_server(config, runner)
    try:
        yield server
    finally:
        if server is not None:
            await server.close()
