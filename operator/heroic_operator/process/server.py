"""The operator's HTTP endpoints: ``/healthz`` (liveness: the event loop answers and the
workers run), ``/readyz`` (readiness: kopf watches and the controller started) and ``/metrics``
(Prometheus). Serves only; decides nothing."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest


def make_app(healthy: Callable[[], bool], ready: Callable[[], bool]) -> web.Application:
    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok\n") if healthy() else web.Response(status=500, text="down\n")

    async def readyz(_: web.Request) -> web.Response:
        return (
            web.Response(text="ready\n")
            if ready()
            else web.Response(status=503, text="not ready\n")
        )

    async def metrics_endpoint(_: web.Request) -> web.Response:
        body = generate_latest(REGISTRY)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics_endpoint)
    return app


async def start_server(app: web.Application, host: str, port: int) -> web.AppRunner:
    """Start serving; returns the runner (``await runner.cleanup()`` stops it)."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port actually bound (useful with port 0)."""
    for address in runner.addresses:
        if isinstance(address, tuple):
            return int(address[1])
    return 0
