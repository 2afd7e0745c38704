"""``heroic shell --server``: the node's services inside the shell, as upstream's ``--server``
starts them: the API on the config's host and port, the configured consumers, and the admin
endpoint if heroic.yml has ``shellServer:``, all on the shell's event loop (``heroic node``'s
``start_node``). The tasks use the node's backends, the node tasks act on it, and leaving the
shell stops it gracefully (consumers commit, the API drains). Signals stay the shell's: Ctrl-C
interrupts a task, never the node."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from heroic_cli.shell.context import ShellContext
from heroic_cli.shell.errors import TaskFailedError
from heroic_core.errors import HeroicError


@asynccontextmanager
async def serving(ctx: ShellContext) -> AsyncIterator[None]:
    """Run the node of ``ctx.config`` for the duration of the block."""
    from heroic_cli.node import NodeSettings, start_node  # noqa: PLC0415 - heavy, on use

    try:
        node = await start_node(ctx.config, NodeSettings(), handle_signals=False)
    except (HeroicError, ValueError) as exc:
        raise TaskFailedError(f"--server: cannot start the node: {exc}") from None
    if not node.server.started:
        await node.wait()
        raise TaskFailedError("--server: the API did not start (is its port free?)")
    ctx.use_node(node.backends, node.control)
    ctx.io.note(
        f"--server: API on {node.api_address}, "
        f"{len(node.control.consumers())} consumer(s)"
        + (f", admin endpoint on port {node.admin.port}" if node.admin else "")
    )
    try:
        yield
    finally:
        node.request_stop()
        code = await node.wait()
        if code:
            ctx.io.note("--server: the consumers stopped with uncommitted messages (see the log)")
