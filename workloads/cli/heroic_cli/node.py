"""``heroic node``: the API node and the consumers of one heroic.yml in one process.

This is upstream Heroic's usual shape (one process serves queries and runs the configured
consumers) and, on memory backends, the only way for ingested points to be queryable. The API
and the consumers share one set of backends. The consumers' probes and metrics listen on their
own port (``--consumer-port``, default any free one). SIGTERM/SIGINT stop both: consumers finish
and commit their batch, the API drains and answers 503 meanwhile. This module only composes the
two nodes; each keeps its own logic. ``/status`` reports the consumers (upstream's
``consumers`` object) and is a 503 while one is not ready.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

import uvicorn

from heroic_api.cli import HeroicServer, load_config
from heroic_api.context import ApiContext
from heroic_api.main import create_app
from heroic_consumer.node import ConsumerNode, NodeConfigError, NodeOptions
from heroic_core.backends.factory import build_backends
from heroic_core.config import ConfigError, HeroicConfig
from heroic_core.errors import HeroicError
from heroic_core.logging import configure_logging

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``heroic node``."""
    parser.add_argument("--config", metavar="FILE", help="heroic.yml (default: memory backends)")
    parser.add_argument("--host", help="API bind address (default: the config's host)")
    parser.add_argument("--port", type=int, help="API port (default: the config's port, 8080)")
    parser.add_argument(
        "--consumer-port", type=int, default=0, help="consumers' probes and metrics (default: any)"
    )
    parser.add_argument("--log-level", default="INFO", help="log level (default: INFO)")


async def serve(config: HeroicConfig, args: argparse.Namespace) -> int:
    """Run the API and, if the config has any, the consumers until a signal."""
    backends = build_backends(config)
    app = create_app(config, backends)
    context: ApiContext = app.state.heroic
    host = args.host or config.host
    consumers = None
    if config.consumers:
        options = NodeOptions(config=config, host=host, port=args.consumer_port)
        consumers = ConsumerNode(options, backends)
        context.consumer_status = consumers.status
    server = HeroicServer(
        uvicorn.Config(
            app,
            host=host,
            port=config.port if args.port is None else args.port,
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


def run(args: argparse.Namespace) -> int:
    """Serve until stopped; returns the process exit code."""
    configure_logging(args.log_level)
    try:
        config = load_config(args.config)
        return asyncio.run(serve(config, args))
    except (ConfigError, NodeConfigError, HeroicError) as exc:
        logger.error("Cannot start the node: %s", exc)
        return 2
