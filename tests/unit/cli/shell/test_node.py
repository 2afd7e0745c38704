"""The shell's node tasks: without a node they say what they need; with ``--server`` they act on
the shell's own node; with ``--connect`` every task line runs on a node's admin endpoint (the
node tasks on an API node, every task on ``heroic node``) and its exit code comes back."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from heroic_api.admin import ApiControl
from heroic_api.main import create_app
from heroic_cli.main import main as heroic
from heroic_cli.shell.context import ShellContext, ShellIO
from heroic_cli.shell.errors import TaskFailedError, UsageError
from heroic_cli.shell.remote import DEFAULT_PORT, connected, parse_address
from heroic_cli.shell.runner import run_task
from heroic_cli.shell.served import ShellTaskRunner
from heroic_core.admin.server import TOKEN_ENV, AdminServer, TaskRunner, start_admin_server
from heroic_core.admin.tasks import NodeTaskRunner
from heroic_core.backends.factory import build_backends
from heroic_core.config import HeroicConfig, ShellServerConfig

pytestmark = pytest.mark.anyio


def _ctx() -> ShellContext:
    return ShellContext(HeroicConfig.default(), ShellIO(out=io.StringIO(), err=io.StringIO()))


def _out(ctx: ShellContext) -> list[str]:
    assert isinstance(ctx.io.out, io.StringIO)
    return ctx.io.out.getvalue().splitlines()


def _err(ctx: ShellContext) -> str:
    assert isinstance(ctx.io.err, io.StringIO)
    return ctx.io.err.getvalue()


@pytest.fixture
def api_control() -> ApiControl:
    return ApiControl(
        create_app(HeroicConfig.default(), build_backends(HeroicConfig.default())).state.heroic
    )


async def _serve(runner: TaskRunner, environ: dict[str, str] | None = None) -> AdminServer:
    server = await start_admin_server(ShellServerConfig(port=0), runner, environ or {})
    assert server is not None
    return server


@pytest.fixture
async def api_node(api_control: ApiControl) -> AsyncIterator[AdminServer]:
    server = await _serve(NodeTaskRunner(api_control))
    yield server
    await server.close()


@pytest.mark.parametrize("task", ["pause", "resume", "ingestion-filter", "statistics", "refresh"])
async def test_node_tasks_without_a_node_say_what_they_need(task: str) -> None:
    ctx = _ctx()
    assert await run_task(ctx, [task]) == 1
    assert _err(ctx) == (
        f"error: {task}: needs a running node: heroic shell --connect HOST:PORT, or --server\n"
    )


async def test_in_process_node_tasks_act_on_the_shells_node(api_control: ApiControl) -> None:
    ctx = _ctx()
    backends = api_control.backends
    assert backends is not None
    ctx.use_node(backends, api_control)
    assert await run_task(ctx, ["ingestion-filter", "host", "=", "a"]) == 0
    assert api_control.context.ingestion_filter.to_json() == ["=", "host", "a"]
    assert await run_task(ctx, ["statistics"]) == 0
    assert 'Ingestion: filter ["=", "host", "a"]' in _out(ctx)


async def test_in_process_bad_filter_is_a_usage_error(api_control: ApiControl) -> None:
    ctx = _ctx()
    assert api_control.backends is not None
    ctx.use_node(api_control.backends, api_control)
    assert await run_task(ctx, ["ingestion-filter", "host", "="]) == 2
    assert "invalid filter 'host ='" in _err(ctx)


async def test_connected_task_lines_run_on_the_node(
    api_node: AdminServer, api_control: ApiControl
) -> None:
    ctx = _ctx()
    async with connected(ctx, f"127.0.0.1:{api_node.port}"):
        assert await run_task(ctx, ["ingestion-filter", "role", "=", "db"]) == 0
        assert await run_task(ctx, ["ingestion-filter"]) == 0
    assert api_control.context.ingestion_filter.to_json() == ["=", "role", "db"]
    assert _out(ctx) == [
        'Updating ingestion filter to: ["=", "role", "db"]',
        'Current ingestion filter: ["=", "role", "db"]',
    ]
    assert ctx.remote is None


async def test_connected_help_lists_the_nodes_tasks(api_node: AdminServer) -> None:
    ctx = _ctx()
    async with connected(ctx, f"127.0.0.1:{api_node.port}"):
        assert await run_task(ctx, ["help"]) == 0
        assert await run_task(ctx, ["help", "ingestion-filter"]) == 0
    lines = _out(ctx)
    assert lines[0] == f"Tasks on 127.0.0.1:{api_node.port} (help TASK for its arguments):"
    assert [line.split()[0] for line in lines[1:6]] == [
        "ingestion-filter", "pause", "refresh", "resume", "statistics",
    ]  # fmt: skip
    assert lines[6].startswith("usage: ingestion-filter [-h] [<filter> ...]")


async def test_connected_exit_codes_are_the_nodes(api_node: AdminServer) -> None:
    ctx = _ctx()
    async with connected(ctx, f"127.0.0.1:{api_node.port}"):
        assert await run_task(ctx, ["query", "average"]) == 2
        assert await run_task(ctx, ["ingestion-filter", "host", "="]) == 2
        assert await run_task(ctx, ["pause"]) == 1
    errors = _err(ctx)
    assert "unknown task 'query' on this node" in errors
    assert "runs no consumers" in errors


async def test_heroic_node_runs_every_shell_task_with_its_backends(
    api_control: ApiControl,
) -> None:
    backends = api_control.backends
    assert backends is not None
    server = await _serve(ShellTaskRunner(HeroicConfig.default(), backends, api_control))
    ctx = _ctx()
    try:
        async with connected(ctx, f"127.0.0.1:{server.port}"):
            assert await run_task(ctx, ["backends"]) == 0
            assert await run_task(ctx, ["ingestion-filter", "host", "=", "a"]) == 0
    finally:
        await server.close()
    assert _out(ctx) == [
        "metrics: memory#0 (MemoryMetricBackend; groups: memory)",
        "metadata: memory#0 (MemoryMetadataBackend; groups: memory)",
        "suggest: memory#0 (MemorySuggestBackend; groups: memory)",
        'Updating ingestion filter to: ["=", "host", "a"]',
    ]
    assert api_control.context.ingestion_filter.to_json() == ["=", "host", "a"]


async def test_token_protected_node_needs_the_token(
    api_control: ApiControl, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = await _serve(NodeTaskRunner(api_control), {TOKEN_ENV: "s3cret"})
    address = f"127.0.0.1:{server.port}"
    try:
        monkeypatch.delenv(TOKEN_ENV, raising=False)
        with pytest.raises(TaskFailedError, match="refused: a valid token"):
            async with connected(_ctx(), address):
                pass
        monkeypatch.setenv(TOKEN_ENV, "s3cret")
        ctx = _ctx()
        async with connected(ctx, address):
            assert await run_task(ctx, ["ingestion-filter"]) == 0
    finally:
        await server.close()


async def test_unreachable_node_fails_naming_the_address() -> None:
    with pytest.raises(TaskFailedError, match=r"cannot reach the node at 127\.0\.0\.1:1\b"):
        async with connected(_ctx(), "127.0.0.1:1"):
            pass


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("node", ("node", DEFAULT_PORT)),
        ("node:9191", ("node", 9191)),
        ("[::1]:9191", ("::1", 9191)),
        ("[::1]", ("::1", DEFAULT_PORT)),
        ("::1", ("::1", DEFAULT_PORT)),
    ],
)
def test_connect_addresses_default_to_upstreams_port(text: str, address: tuple[str, int]) -> None:
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["", ":9190", "node:http", "node:70000", "[::1", "[::1]x"])
def test_bad_connect_addresses_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="--connect"):
        parse_address(text)


def test_server_and_connect_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        heroic(["shell", "--server", "--connect", "node", "--", "statistics"])
    assert exited.value.code == 2
    assert "not allowed with argument --server" in capsys.readouterr().err


def test_connect_to_nothing_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert heroic(["shell", "--connect", "127.0.0.1:1", "--", "statistics"]) == 1
    assert "cannot reach the node at 127.0.0.1:1" in capsys.readouterr().err


def test_server_runs_the_node_in_the_shell_and_stops_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "heroic.yml"
    document = HeroicConfig.default().to_dict() | {"host": "127.0.0.1", "port": 0}
    path.write_text(yaml.safe_dump(document))
    code = heroic(["shell", "--server", "--config", str(path), "--", "refresh"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "  metrics memory#0: ready" in captured.out.splitlines()
    assert re.search(r"--server: API on 127\.0\.0\.1:[1-9]\d*, 0 consumer\(s\)", captured.err)
