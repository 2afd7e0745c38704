"""The admin endpoint (``shellServer``): off without the key, loopback unless a token is set,
the token checked on every request, task output streamed as JSON lines ending in the exit code."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Mapping, Sequence

import pytest
from starlette.testclient import TestClient

from heroic_core.admin.control import Output
from heroic_core.admin.server import (
    TOKEN_ENV,
    AdminConfigError,
    admin_token,
    build_admin_app,
    is_loopback,
    start_admin_server,
)
from heroic_core.config import ShellServerConfig


class EchoRunner:
    """Writes each argument as a line, ``!name`` as a note; ``boom`` raises; exit = argc."""

    def __init__(self) -> None:
        self.cancelled = False

    def tasks(self) -> Mapping[str, str]:
        return {"echo": "print the arguments"}

    async def run(self, argv: Sequence[str], out: Output) -> int:
        name, *args = argv
        if name == "boom":
            raise RuntimeError("exploded")
        if name == "sleep":
            try:
                await asyncio.sleep(60)
            except asyncio.CancelledError:
                self.cancelled = True
                raise
        for arg in args:
            if arg.startswith("!"):
                out.note(arg[1:])
            else:
                out.line(arg)
        return len(args)


def _events(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.1.2.3", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),  # noqa: S104 - the point of the case
        ("10.0.0.5", False),
        ("::", False),
        ("heroic.example.com", False),
    ],
)
def test_loopback_hosts_are_recognised(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_loopback_bind_needs_no_token() -> None:
    assert admin_token(ShellServerConfig(), environ={}) is None


def test_non_loopback_bind_without_token_is_refused_naming_the_variable() -> None:
    config = ShellServerConfig(host="0.0.0.0")  # noqa: S104
    with pytest.raises(AdminConfigError, match=TOKEN_ENV):
        admin_token(config, environ={})


def test_non_loopback_bind_with_token_requires_it() -> None:
    config = ShellServerConfig(host="0.0.0.0")  # noqa: S104
    assert admin_token(config, environ={TOKEN_ENV: "s3cret"}) == "s3cret"


def test_a_token_set_for_a_loopback_bind_is_required_too() -> None:
    assert admin_token(ShellServerConfig(), environ={TOKEN_ENV: "s3cret"}) == "s3cret"


@pytest.mark.anyio
async def test_nothing_is_served_without_shell_server() -> None:
    assert await start_admin_server(None, EchoRunner()) is None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.mark.anyio
async def test_refused_non_loopback_bind_leaves_the_port_unbound() -> None:
    port = _free_port()
    config = ShellServerConfig(host="0.0.0.0", port=port)  # noqa: S104
    with pytest.raises(AdminConfigError, match="not a loopback address"):
        await start_admin_server(config, EchoRunner(), environ={})
    with socket.socket() as sock:  # would fail with EADDRINUSE had it been bound
        sock.bind(("0.0.0.0", port))  # noqa: S104


@pytest.mark.anyio
async def test_server_listens_on_its_own_port_and_closes() -> None:
    server = await start_admin_server(ShellServerConfig(port=0), EchoRunner(), environ={})
    assert server is not None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /tasks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        response = await reader.read()
        writer.close()
        assert response.startswith(b"HTTP/1.1 200")
        assert b'"echo"' in response
    finally:
        await server.close()
    with pytest.raises(ConnectionRefusedError):
        await asyncio.open_connection("127.0.0.1", server.port)


def test_tasks_are_listed_with_their_help() -> None:
    client = TestClient(build_admin_app(EchoRunner(), None))
    response = client.get("/tasks")
    assert response.status_code == 200
    assert response.json() == {"tasks": {"echo": "print the arguments"}}


def test_task_output_streams_in_order_and_ends_with_the_exit_code() -> None:
    client = TestClient(build_admin_app(EchoRunner(), None))
    response = client.post("/tasks/echo", json={"argv": ["one", "!careful", "two"]})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert _events(response.text) == [
        {"out": "one"},
        {"err": "careful"},
        {"out": "two"},
        {"exit": 3},
    ]


def test_a_task_that_raises_reports_the_error_and_exit_code_1() -> None:
    client = TestClient(build_admin_app(EchoRunner(), None))
    events = _events(client.post("/tasks/boom", json={"argv": []}).text)
    assert events == [{"err": "error: boom: exploded"}, {"exit": 1}]


def test_a_malformed_body_is_a_400_naming_the_problem() -> None:
    client = TestClient(build_admin_app(EchoRunner(), None))
    response = client.post("/tasks/echo", json={"argv": "not a list"})
    assert response.status_code == 400
    assert "invalid request body" in response.json()["error"]


@pytest.mark.parametrize("header", [None, "Bearer wrong", "s3cret", "Basic s3cret"])
def test_requests_without_the_token_are_refused(header: str | None) -> None:
    client = TestClient(build_admin_app(EchoRunner(), "s3cret"))
    headers = {"Authorization": header} if header else {}
    assert client.get("/tasks", headers=headers).status_code == 401
    response = client.post("/tasks/echo", json={"argv": ["x"]}, headers=headers)
    assert response.status_code == 401
    assert TOKEN_ENV in response.json()["error"]


def test_requests_with_the_bearer_token_run() -> None:
    client = TestClient(build_admin_app(EchoRunner(), "s3cret"))
    headers = {"Authorization": "Bearer s3cret"}
    response = client.post("/tasks/echo", json={"argv": ["x"]}, headers=headers)
    assert _events(response.text) == [{"out": "x"}, {"exit": 1}]


@pytest.mark.anyio
async def test_a_client_that_leaves_cancels_its_task() -> None:
    runner = EchoRunner()
    server = await start_admin_server(ShellServerConfig(port=0), runner, environ={})
    assert server is not None
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        body = b'{"argv": []}'
        writer.write(
            b"POST /tasks/sleep HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        await writer.drain()
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        writer.close()
        for _ in range(200):
            if runner.cancelled:
                break
            await asyncio.sleep(0.01)
        assert runner.cancelled
    finally:
        await server.close()
