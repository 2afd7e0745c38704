"""``heroic shell --connect HOST[:PORT]``: every task line runs on a running node's admin endpoint
(heroic.yml ``shellServer:``, port 9190 by default, as upstream) and its output comes back line
by line. What runs there is the node's choice: an API or consumer node runs the node tasks
(pause, resume, ingestion-filter, statistics, refresh), ``heroic node`` every shell task, with
its own backends. ``HEROIC_ADMIN_TOKEN``, when set, is sent as the bearer token. Ctrl-C closes
the request, which cancels the task on the node. This module never runs a task itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import aiohttp

from heroic_cli.shell.context import ShellContext, ShellIO
from heroic_cli.shell.errors import EXIT_FAILED, TaskFailedError, UsageError
from heroic_core.admin.server import TOKEN_ENV

DEFAULT_PORT = 9190
CONNECT_TIMEOUT = 10.0


def parse_address(text: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT``, ``[V6]:PORT`` -> (host, port); a ``UsageError`` otherwise."""
    text = text.strip()
    port_text = ""
    if text.startswith("["):
        host, closed, rest = text[1:].partition("]")
        if not closed or (rest and not rest.startswith(":")):
            raise UsageError(f"--connect {text!r}: expected HOST[:PORT] or [IPV6]:PORT")
        port_text = rest[1:]
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    else:
        host = text  # a name, or a bare IPv6 address
    if not host:
        raise UsageError(f"--connect {text!r}: no host; expected HOST[:PORT]")
    if not port_text:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"--connect {text!r}: the port must be a number from 1 to 65535")
    return host, int(port_text)


async def _lines(content: aiohttp.StreamReader) -> AsyncIterator[bytes]:
    """The stream's lines, however long (aiohttp's own line reader stops at 64 KiB)."""
    buffer = b""
    async for chunk in content.iter_any():
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            yield line
    if buffer:
        yield buffer


class RemoteNode:
    """A connection to one node's admin endpoint."""

    def __init__(self, host: str, port: int, token: str | None = None) -> None:
        self.address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self.base = f"http://{self.address}"
        self.token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        self.tasks: dict[str, str] = {}
        self._session: aiohttp.ClientSession | None = None

    async def connect(self) -> None:
        """Reach the node and learn its tasks; ``TaskFailedError`` naming why not."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT)
        self._session = aiohttp.ClientSession(headers=headers, timeout=timeout)
        try:
            async with self._session.get(
                f"{self.base}/tasks", timeout=aiohttp.ClientTimeout(total=CONNECT_TIMEOUT)
            ) as response:
                body = await self._body(response)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TaskFailedError(f"cannot reach the node at {self.address}: {_why(exc)}") from None
        self.tasks = dict(body.get("tasks") or {})

    async def _body(self, response: aiohttp.ClientResponse) -> dict[str, Any]:
        try:
            body = await response.json(content_type=None)
        except (ValueError, aiohttp.ContentTypeError):
            body = None
        if not isinstance(body, dict):
            raise TaskFailedError(
                f"the node at {self.address} answered {response.status} without JSON: "
                "is this its shellServer port?"
            )
        if response.status != 200:
            error = body.get("error") or f"HTTP {response.status}"
            raise TaskFailedError(f"the node at {self.address} refused: {error}")
        return body

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def help_text(self) -> str:
        width = max((len(n) for n in self.tasks), default=0)
        lines = [f"  {n:<{width}}  {h}" for n, h in sorted(self.tasks.items())]
        return f"Tasks on {self.address} (help TASK for its arguments):\n" + "\n".join(lines)

    async def run(self, io: ShellIO, argv: Sequence[str]) -> int:
        """Run one task line on the node, its output on ``io``; the node's exit code."""
        name, *rest = argv
        if name == "help":
            if not rest:
                io.line(self.help_text())
                return 0
            name, rest = rest[0], ["--help"]
        try:
            return await self._run(io, name, rest)
        except TaskFailedError as exc:
            io.note(f"error: {name}: {exc}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            io.note(f"error: {name}: connection to the node at {self.address} failed: {_why(exc)}")
        return EXIT_FAILED

    async def _run(self, io: ShellIO, name: str, args: list[str]) -> int:
        if self._session is None:
            raise TaskFailedError("not connected")
        url = f"{self.base}/tasks/{quote(name, safe='')}"
        async with self._session.post(url, json={"argv": args}) as response:
            if response.status != 200:
                await self._body(response)
            async for raw in _lines(response.content):
                event = json.loads(raw)
                if "out" in event:
                    io.line(str(event["out"]))
                elif "err" in event:
                    io.note(str(event["err"]))
                elif "exit" in event:
                    return int(event["exit"])
        raise TaskFailedError(f"the node at {self.address} ended the task's stream early")


@asynccontextmanager
async def connected(ctx: ShellContext, address: str) -> AsyncIterator[None]:
    """Send every task line of ``ctx`` to the node at ``address`` for the block."""
    host, port = parse_address(address)
    node = RemoteNode(host, port)
    try:
        await node.connect()
        ctx.remote = node
        yield
    finally:
        ctx.remote = None
        await node.close()


def _why(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
