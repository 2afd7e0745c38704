"""``heroic node``: the API node and the consumers of one heroic.yml in one process.

This is upstream Heroic's usual shape (one process serves queries and runs the configured
consumers) and, on memory backends, the only way for ingested points to be queryable. The API
and the consumers share one set of backends. The consumers' probes and metrics listen on their
own port (``--consumer-port``, default any free one). SIGTERM/SIGINT stop both: consumers finish
and commit their batch, the API drains and answers 503 meanwhile. This module only composes the
two nodes; each keeps its own logic. ``/status`` reports the consumers (upstream's
``consumers`` object) and is a 503 while one is not ready. Every option can also come from its
``HEROIC_NODE_*`` variable (``NodeSettings``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

import uvicorn
from pydantic_settings import BaseSettings, SettingsConfigDict

from heroic_api.cli import HeroicServer, Port, load_config
from heroic_api.context import ApiContext
from heroic_api.main import create_app
from heroic_consumer.node import ConsumerNode, NodeConfigError, NodeOptions
from heroic_core.backends.factory import build_backends
from heroic_core.config import ConfigError, HeroicConfig
from heroic_core.errors import HeroicError
from heroic_core.logging import LOG_LEVELS, LogLevel, configure_logging

logger = logging.getLogger(__name__)


class NodeSettings(BaseSettings):
    """Process settings of ``heroic node``: flags, else ``HEROIC_NODE_*`` variables."""

    model_config = SettingsConfigDict(env_prefix="HEROIC_NODE_", env_ignore_empty=True)

    config: str | None = None
    host: str | None = None
    port: Port | None = None
    consumer_port: Port = 0
    log_level: LogLevel = "INFO"


settings_model = NodeSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``heroic node``."""
    parser.add_argument("--config", metavar="FILE", help="heroic.yml (default: memory backends)")
    parser.add_argument("--host", help="API bind address (default: the config's host)")
    parser.add_argument("--port", help="API port (default: the config's port, 8080)")
    parser.add_argument("--consumer-port", help="consumers' probes and metrics (0: any free port)")
    parser.add_argument("--log-level", help=f"log level: {', '.join(LOG_LEVELS)}")


async def serve(config: HeroicConfig, settings: NodeSettings) -> int:
    """Run the API and, if the config has any, the consumers until a signal."""
    backends = build_backends(config)
    app = create_app(config, backends)
    context: ApiContext = app.state.heroic
    host = settings.host or config.host
    consumers = None
    if config.consumers:
        options = NodeOptions(config=config, host=host, port=settings.consumer_port)
        consumers = ConsumerNode(options, backends)
        context.consumer_status = consumers.status
    server = HeroicServer(
        uvicorn.Config(
            app,
            host=host,
            port=config.port if settings.port is None else settings.port,
            log_config=None,
            access_log=False,
            lifespan="on",
        ),
        context,
    )
    api = asyncio.create_task(server.serve())
    consuming = asyncio.create_task(consumers.run()) if consumers else None
    while not server.started and not api.done():
        await asyncio.sleep(0.05)

    def stop(sig: int) -> None:
        logger.info("Stopping on signal %s", signal.Signals(sig).name)
        # Not server.handle_exit: uvicorn would re-raise the signal after serving, killing us.
        context.stopping = True
        server.should_exit = True
        if consumers is not None:
            consumers.stop.set()

    # Installed last, so that one signal stops both nodes (each installs handlers of its own).
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop, sig)
    code = 0
    if consuming is not None:
        code = await consuming
        server.should_exit = True
    await api
    with contextlib.suppress(Exception):  # the consumers may have closed them already
        await backends.close()
    return code if server.started else 1


def run(settings: NodeSettings) -> int:
    """Serve until stopped; returns the process exit code."""
    configure_logging(settings.log_level)
    try:
        config = load_config(settings.config)
        return asyncio.run(serve(config, settings))
    except (ConfigError, NodeConfigError, HeroicError) as exc:
        logger.error("Cannot start the node: %s", exc)
        return 2
