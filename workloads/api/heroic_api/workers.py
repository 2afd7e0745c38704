"""``heroic api --workers N``: N worker processes sharing one listening socket.

A process computes on one core (``offload``), so more cores need more processes. uvicorn's
supervisor binds the port once, starts the workers (spawned: each imports the application
afresh), replaces one that dies, and passes SIGTERM on for a graceful stop. Each worker builds
its application from the same settings, handed over in the ``HEROIC_API_*`` variables, and
serves it as the single process of ``heroic api`` does: 503 to new requests once stopping,
tuned for serving.

Refused with more than one worker: backends of ``type: memory`` (each process would hold its
own data, so a point written through one worker would be missing from the answers of the
others) and ``shellServer`` (one admin port cannot serve several processes). ``/metrics`` shows
the counters of the worker that answered the scrape. This module only wires processes.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from heroic_api.context import ApiContext
from heroic_api.main import create_app
from heroic_api.tuning import tune_for_serving
from heroic_core.config import HeroicConfig
from heroic_core.logging import configure_logging

if TYPE_CHECKING:
    from heroic_api.cli import ApiSettings

logger = logging.getLogger(__name__)

#: The application factory uvicorn calls in each worker process.
WORKER_APP = "heroic_api.workers:worker_app"


def refusal(config: HeroicConfig, workers: int) -> str | None:
    """Why ``config`` cannot be served by ``workers`` processes, or ``None``."""
    if workers <= 1:
        return None
    memory = config.memory_backends()
    if memory:
        return (
            f"--workers {workers} needs backends the worker processes share, but "
            f"{', '.join(memory)} (type: memory) keep their data inside one process: "
            "use --workers 1, or durable backends"
        )
    if config.shell_server is not None:
        return (
            f"--workers {workers} cannot serve shellServer (one admin port, several "
            "processes): use --workers 1, or remove shellServer"
        )
    return None


def serve_workers(settings: ApiSettings, config: HeroicConfig) -> int:
    """Run ``settings.workers`` workers until stopped; the process exit code."""
    reason = refusal(config, settings.workers)
    if reason is not None:
        logger.error("Invalid configuration: %s", reason)
        return 2
    os.environ.update(_environment(settings))
    server_config = uvicorn.Config(
        WORKER_APP,
        factory=True,
        host=settings.host or config.host,
        port=config.port if settings.port is None else settings.port,
        workers=settings.workers,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=max(int(config.stop_timeout.seconds), 1),
        lifespan="on",
    )
    supervisor = Multiprocess(server_config, sockets=[server_config.bind_socket()])
    logger.info("Starting workers", extra={"workers": settings.workers})
    supervisor.run()
    failed = any(p.exitcode == STARTUP_FAILURE for p in supervisor.processes)
    return 1 if failed else 0


def _environment(settings: ApiSettings) -> dict[str, str]:
    """The ``HEROIC_API_*`` variables that give a worker the parent's settings."""
    values = settings.model_dump(exclude_none=True)
    return {f"HEROIC_API_{name.upper()}": str(value) for name, value in values.items()}


def worker_app() -> FastAPI:
    """The application of one worker process (uvicorn calls this in the worker, in its main
    thread, after installing its exit-signal handlers)."""
    from heroic_api.cli import ApiSettings, load_config  # noqa: PLC0415 - cli imports us

    settings = ApiSettings()
    configure_logging(settings.log_level)
    app = create_app(load_config(settings.config))
    _mark_stopping_on_exit(app.state.heroic)
    tune_for_serving()
    return app


def _mark_stopping_on_exit(context: ApiContext) -> None:
    """Let uvicorn's exit-signal handlers flag the application as stopping first."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        handler = signal.getsignal(sig)
        if callable(handler):
            signal.signal(sig, functools.partial(_stop_then, context, handler))


def _stop_then(
    context: ApiContext,
    handler: Callable[[int, FrameType | None], Any],
    sig: int,
    frame: FrameType | None,
) -> None:
    if not context.stopping:
        logger.info("Stopping: new requests get 503", extra={"signal": sig})
    context.stopping = True
    handler(sig, frame)
