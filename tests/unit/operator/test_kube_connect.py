"""The operator's client reads nothing from the environment that no proxy needs: without a proxy
configured, a ~/.netrc entry for the API server's host is not sent (and not read per request)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from heroic_operator.kube import connect


def kubeconfig(path: Path, server: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


async def authorization_seen(tmp_path: Path) -> str | None:
    """Serve one GET on loopback and return the Authorization header the operator sent."""
    seen: list[str | None] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        return web.json_response({"kind": "Namespace", "metadata": {"name": "x"}})

    app = web.Application()
    app.router.add_get("/api/v1/namespaces/x", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        kube = await connect(str(kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}")))
        try:
            await kube.get("Namespace", "x")
        finally:
            await kube.close()
    finally:
        await runner.cleanup()
    return seen[0]


def test_a_netrc_entry_is_not_sent_without_a_proxy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password secret\n", encoding="utf-8")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    for scheme in ("http", "https", "all"):
        monkeypatch.delenv(f"{scheme}_proxy", raising=False)
        monkeypatch.delenv(f"{scheme.upper()}_PROXY", raising=False)
    assert asyncio.run(authorization_seen(tmp_path)) is None


async def answered_beside_watches(tmp_path: Path, watches: int) -> dict[str, Any]:
    """Open ``watches`` watch streams that stay open, then make one request."""

    async def stream(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await asyncio.sleep(30)  # a quiet watch
        return response

    async def namespace(request: web.Request) -> web.Response:
        return web.json_response({"kind": "Namespace", "metadata": {"name": "x"}})

    app = web.Application()
    app.router.add_get("/api/v1/namespaces/{ns}/configmaps", stream)
    app.router.add_get("/api/v1/namespaces/x", namespace)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    kube = await connect(str(kubeconfig(tmp_path / "kubeconfig", f"http://127.0.0.1:{port}")))

    async def drain(namespace: str) -> None:
        async for _ in kube.watch("ConfigMap", namespace):
            pass

    tasks = [asyncio.create_task(drain(f"ns{i}")) for i in range(watches)]
    try:
        await asyncio.sleep(0.5)  # every watch is open
        return await asyncio.wait_for(kube.get("Namespace", "x"), 10)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await kube.close()
        await runner.cleanup()


def test_open_watches_never_leave_requests_without_a_connection(tmp_path: Path) -> None:
    answer = asyncio.run(answered_beside_watches(tmp_path, watches=40))
    assert answer["metadata"]["name"] == "x"
