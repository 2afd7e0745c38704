"""``heroic node``: the API node and the consumers of one heroic.yml in one process.

This is upstream Heroic's usual shape (one process serves queries and runs the configured
consumers) and, on memory backends, the only way for ingested points to be queryable. The API
and the consumers share one set of backends. The consumers' probes and metrics listen on their
own port (``--consumer-port``, default any free one). SIGTERM/SIGINT stop both: consumers finish
and commit their batch, the API drains and answers 503 meanwhile. This module only composes the
two nodes; each keeps its own logic. ``/status`` reports the consumers (upstream's
``consumers`` object) and is a 503 while one is not ready. With ``shellServer:`` in heroic.yml
the node serves its admin endpoint there: every shell task, run with the node's backends, and
the node tasks (pause, resume...) acting on its API and consumers. ``start_node`` is also what
``heroic shell --server`` runs. Every option can also come from its ``HEROIC_NODE_*`` variable
(``NodeSettings``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from dataclasses import dataclass

import uvicorn
from pydantic_settings import BaseSettings, SettingsConfigDict

from heroic_api.admin import ApiControl
from heroic_api.cli import HeroicServer, Port, load_config
from heroic_api.context import ApiContext
from heroic_api.main import create_app
from heroic_consumer.admin import ConsumerNodeControl
from heroic_consumer.node import ConsumerNode, NodeConfigError, NodeOptions
from heroic_core.admin.control import CombinedControl, NodeControl
from heroic_core.admin.server import AdminServer, start_admin_server
from heroic_core.backends.factory import build_backends
from heroic_core.backends.group import Backends
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
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="heroic.yml (default: ./heroic.yml if it exists, else memory backends)",
    )
    parser.add_argument("--host", help="API bind address (default: the config's host)")
    parser.add_argument("--port", help="API port (default: the config's port, 8080)")
    parser.add_argument("--consumer-port", help="consumers' probes and metrics (0: any free port)")
    parser.add_argument("--log-level", help=f"log level: {', '.join(LOG_LEVELS)}")


class NodeServer(HeroicServer):
    """The API's uvicorn server; the process's signals are the node's (see ``serve``)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn's own handlers would re-raise the signal after serving, killing the process
        # before the consumers committed (and, in the shell, turn Ctrl-C into a stop).
        yield


@dataclass
class RunningNode:
    """The API, the consumers and the admin endpoint of one process, started."""

    backends: Backends
    context: ApiContext
    server: NodeServer
    consumers: ConsumerNode | None
    control: NodeControl
    api: asyncio.Task[None]
    consuming: asyncio.Task[int] | None
    admin: AdminServer | None = None

    @property
    def api_address(self) -> str:
        """Where the API listens (the port bound when the config says 0)."""
        for listener in self.server.servers:
            for sock in listener.sockets:
                host, port = sock.getsockname()[:2]
                return f"{host}:{port}"
        return "nowhere (not started)"

    def request_stop(self) -> None:
        """Begin a graceful stop: the API answers 503 and drains, consumers commit."""
        self.context.stopping = True
        self.server.should_exit = True
        if self.consumers is not None:
            self.consumers.stop.set()

    async def wait(self) -> int:
        """Until both stopped (a failed consumer stops the API too); the exit code."""
        code = 0
        try:
            if self.consuming is not None:
                code = await self.consuming
                self.server.should_exit = True
            await self.api
        finally:
            if self.admin is not None:
                await self.admin.close()
            with contextlib.suppress(Exception):  # the consumers may have closed them already
                await self.backends.close()
        return code if self.server.started else 1


async def start_node(
    config: HeroicConfig, settings: NodeSettings, *, handle_signals: bool = True
) -> RunningNode:
    """Start the API, the consumers (if the config has any) and the admin endpoint (if it has
    ``shellServer``) on this event loop."""
    backends = build_backends(config)
    app = create_app(config, backends)
    context: ApiContext = app.state.heroic
    host = settings.host or config.host
    consumers = None
    controls: list[NodeControl] = [ApiControl(context)]
    if config.consumers:
        options = NodeOptions(config=config, host=host, port=settings.consumer_port)
        consumers = ConsumerNode(options, backends)
        context.consumer_status = consumers.status
        controls.append(ConsumerNodeControl(consumers))
    server = NodeServer(
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
    consuming = (
        asyncio.create_task(consumers.run(handle_signals=handle_signals)) if consumers else None
    )
    control = CombinedControl(*controls)
    node = RunningNode(backends, context, server, consumers, control, api, consuming)
    while not server.started and not api.done():
        await asyncio.sleep(0.05)
    if config.shell_server is not None and server.started:
        from heroic_cli.shell.served import ShellTaskRunner  # noqa: PLC0415 - only when enabled

        try:
            node.admin = await start_admin_server(
                config.shell_server, ShellTaskRunner(config, backends, control)
            )
        except HeroicError:
            node.request_stop()
            await node.wait()
            raise
    return node


async def serve(config: HeroicConfig, settings: NodeSettings) -> int:
    """Run the API and, if the config has any, the consumers until a signal."""
    node = await start_node(config, settings)

    def stop(sig: int) -> None:
        logger.info("Stopping on signal %s", signal.Signals(sig).name)
        node.request_stop()

    # Installed last, so that one signal stops both nodes (the consumers install their own).
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop, sig)
    return await node.wait()


def run(settings: NodeSettings) -> int:
    """Serve until stopped; returns the process exit code."""
    configure_logging(settings.log_level)
    try:
        config = load_config(settings.config)
        return asyncio.run(serve(config, settings))
    except (ConfigError, NodeConfigError, HeroicError) as exc:
        logger.error("Cannot start the node: %s", exc)
        return 2
