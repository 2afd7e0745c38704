"""Tasks acting on a running node: ``pause``, ``resume``, ``ingestion-filter``, ``statistics``,
``refresh`` (``heroic_core.admin.tasks``, shared with the nodes' admin endpoints).

They act on the shell's own node when it was started with ``--server``; with ``--connect``
the whole task line runs on the remote node instead (``shell.remote``) and never gets here.
Otherwise they fail with one line saying so."""

from __future__ import annotations

import argparse

from heroic_cli.shell.context import ShellContext
from heroic_cli.shell.errors import TaskFailedError, UsageError
from heroic_cli.shell.tasks.base import Run, task
from heroic_core.admin.tasks import NODE_TASKS, NodeTask, NodeUsageError

NO_NODE = "needs a running node: heroic shell --connect HOST:PORT, or --server"


def _in_process(node_task: NodeTask) -> Run:
    async def run(ctx: ShellContext, args: argparse.Namespace) -> None:
        if ctx.node is None:
            raise TaskFailedError(NO_NODE)
        try:
            await node_task.run(ctx.node, args, ctx.io)
        except NodeUsageError as exc:
            raise UsageError(str(exc)) from None

    return run


for _node_task in NODE_TASKS.values():
    task(_node_task.name, _node_task.help, _node_task.arguments)(_in_process(_node_task))
