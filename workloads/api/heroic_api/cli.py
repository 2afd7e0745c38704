"""``heroic api [--config FILE] [--host H] [--port N]``: run the API node with uvicorn.

Without ``--config`` the node runs on memory backends (``HeroicConfig.default()``). Logs are
JSON. On SIGTERM/SIGINT the node answers 503 "Heroic is shutting down" to every new request
while uvicorn drains in-flight ones (up to the config's ``stopTimeout``), then closes the
backends. This module only wires the process; the application is ``main.create_app``.
"""

from __future__ import annotations

import argparse
import logging
from types import FrameType

import uvicorn

from heroic_api.context import ApiContext
from heroic_api.main import create_app
from heroic_core.config import ConfigError, HeroicConfig
from heroic_core.logging import configure_logging

logger = logging.getLogger(__name__)


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
    parser.add_argument("--config", metavar="FILE", help="heroic.yml (default: memory backends)")
    parser.add_argument("--host", help="bind address (default: the config's host, 0.0.0.0)")
    parser.add_argument("--port", type=int, help="bind port (default: the config's port, 8080)")
    parser.add_argument("--log-level", default="INFO", help="log level (default: INFO)")


def load_config(path: str | None) -> HeroicConfig:
    """The config file, or memory backends when no file is given."""
    return HeroicConfig.from_file(path) if path else HeroicConfig.default()


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; returns the process exit code."""
    configure_logging(args.log_level)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        logger.error("Invalid configuration: %s", exc)
        return 2
    app = create_app(config)
    context: ApiContext = app.state.heroic
    server_config = uvicorn.Config(
        app,
        host=args.host or config.host,
        port=config.port if args.port is None else args.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=max(int(config.stop_timeout.seconds), 1),
        lifespan="on",
    )
    server = HeroicServer(server_config, context)
    server.run()
    return 0 if server.started else 1
