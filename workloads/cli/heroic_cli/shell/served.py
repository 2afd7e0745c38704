"""Every shell task, served on the admin endpoint of a node run by ``heroic node`` (or
``heroic shell --server``): ``ShellTaskRunner`` runs a remote shell's task line with the node's
own config and backends, and the node tasks against the node itself; the output goes back line
by line. Each line runs in a context of its own; none closes the node's backends."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import TextIO, cast

from heroic_cli.shell.context import ShellContext, ShellIO
from heroic_cli.shell.runner import run_task
from heroic_cli.shell.tasks import TASKS
from heroic_core.admin.control import NodeControl, Output
from heroic_core.backends.group import Backends
from heroic_core.config import HeroicConfig


class _Lines(io.TextIOBase):
    """A text stream handing each complete line to ``emit`` (ShellIO and rich write here)."""

    def __init__(self, emit: Output, error: bool) -> None:
        self._emit = emit.note if error else emit.line
        self._partial = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        for line in lines:
            self._emit(line)
        return len(text)

    def close(self) -> None:
        if self._partial:
            self._emit(self._partial)
            self._partial = ""
        super().close()


class ShellTaskRunner:
    """The shell's tasks, run on a node for a remote shell."""

    def __init__(self, config: HeroicConfig, backends: Backends, node: NodeControl) -> None:
        self.config = config
        self.backends = backends
        self.node = node

    def tasks(self) -> Mapping[str, str]:
        return {name: task.help for name, task in TASKS.items()}

    async def run(self, argv: Sequence[str], out: Output) -> int:
        stdout, stderr = _Lines(out, error=False), _Lines(out, error=True)
        shell_io = ShellIO(out=cast(TextIO, stdout), err=cast(TextIO, stderr))
        ctx = ShellContext(self.config, shell_io, self.backends)
        ctx.node = self.node
        try:
            return await run_task(ctx, argv)
        finally:
            stdout.close()
            stderr.close()
