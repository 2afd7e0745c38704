"""``heroic api [--config FILE] [--host H] [--port N]``: run the API node with uvicorn.

Every option can also come from its ``HEROIC_API_*`` variable (``ApiSettings``). Without
``--config`` the node reads ``./heroic.yml`` if it exists, as upstream, and otherwise runs on
memory backends (``HeroicConfig.default()``), saying so in its log. Logs are
JSON. On SIGTERM/SIGINT the node answers 503 "Heroic is shutting down" to every new request
while uvicorn drains in-flight ones (up to the config's ``stopTimeout``), then closes the
backends. With ``shellServer:`` in heroic.yml the node also serves its admin endpoint
(``heroic shell --connect``; ``admin.py``) on that port. This module only wires the process;
the application is ``main.create_app``. ``--workers N`` runs N processes instead (``workers``).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from types import FrameType
from typing import Annotated

import uvicorn
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from heroic_api.admin import start_api_admin
from heroic_api.context import ApiContext
from heroic_api.main import create_app
from heroic_api.tuning import tune_for_serving
from heroic_api.workers import serve_workers
from heroic_core.admin.server import AdminConfigError
from heroic_core.config import ConfigError, HeroicConfig
from heroic_core.config.audit import log_no_effect
from heroic_core.logging import LOG_LEVELS, LogLevel, configure_logging

logger = logging.getLogger(__name__)

Port = Annotated[int, Field(ge=0, le=65535)]
#: Read when no ``--config`` is given, relative to the working directory (as upstream).
DEFAULT_CONFIG = Path("heroic.yml")


class ApiSettings(BaseSettings):
    """Process settings of ``heroic api``: flags, else ``HEROIC_API_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="HEROIC_API_", env_ignore_empty=True)

    config: str | None = None
    host: str | None = None
    port: Port | None = None
    log_level: LogLevel = "INFO"
    workers: int = Field(default=1, ge=1)


settings_model = ApiSettings


class HeroicServer(uvicorn.Server):
    """A uvicorn server that flags the application as stopping on the first exit signal."""

    def __init__(self, config: uvicorn.Config, context: ApiContext) -> None:
        super().__init__(config)
        self.context = context

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.context.stopping:
            logger.info("Stopping: new requests get 503", extra={"signal": sig})
        self.context.stopping = True
        super().handle_exit(sig, frame)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``heroic api``."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="heroic.yml (default: ./heroic.yml if it exists, else memory backends)",
    )
    parser.add_argument("--host", help="bind address (default: the config's host, 0.0.0.0)")
    parser.add_argument("--port", help="bind port (default: the config's port, 8080)")
    parser.add_argument("--log-level", help=f"log level: {', '.join(LOG_LEVELS)}")
    parser.add_argument(
        "--workers", help="processes serving the port (not with memory backends or shellServer)"
    )


def load_config(path: str | None) -> HeroicConfig:
    """The config file; without one, ``./heroic.yml`` if it exists (as upstream), else memory
    backends. Says which it used, and warns about the keys that have no effect here."""
    if path:
        config = HeroicConfig.from_file(path)
        log_no_effect(config, logger)
        return config
    if DEFAULT_CONFIG.is_file():
        where = str(DEFAULT_CONFIG.resolve())
        logger.info("Using ./heroic.yml (no --config given)", extra={"config": where})
        config = HeroicConfig.from_file(DEFAULT_CONFIG)
        log_no_effect(config, logger)
        return config
    logger.warning(
        "No --config given and no ./heroic.yml: running on memory backends, "
        "whose data is lost when the process stops"
    )
    return HeroicConfig.default()


def run(settings: ApiSettings) -> int:
    """Serve until stopped; returns the process exit code."""
    configure_logging(settings.log_level)
    try:
        config = load_config(settings.config)
    except ConfigError as exc:
        logger.error("Invalid configuration: %s", exc)
        return 2
    if settings.workers > 1:
        return serve_workers(settings, config)
    try:
        app = create_app(config)
    except ConfigError as exc:  # e.g. the node-protocol token's file or variable is missing
        logger.error("Invalid configuration: %s", exc)
        return 2
    context: ApiContext = app.state.heroic
    tune_for_serving()
    server_config = uvicorn.Config(
        app,
        host=settings.host or config.host,
        port=config.port if settings.port is None else settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=max(int(config.stop_timeout.seconds), 1),
        lifespan="on",
    )
    server = HeroicServer(server_config, context)
    try:
        # The loop uvicorn itself would pick (uvloop when installed), as its workers do.
        with asyncio.Runner(loop_factory=server_config.get_loop_factory()) as runner:
            runner.run(_serve(server, config, context))
    except AdminConfigError as exc:
        logger.error("Cannot start the admin endpoint: %s", exc)
        return 2
    return 0 if server.started else 1


async def _serve(server: HeroicServer, config: HeroicConfig, context: ApiContext) -> None:
    admin = await start_api_admin(config.shell_server, context)
    try:
        await server.serve()
    finally:
        if admin is not None:
            await admin.close()
