"""The interactive ``heroic>`` prompt (prompt_toolkit): history across sessions, completion
of task names, ``help``/``help TASK``, ``exit``. A failing task prints its error and the prompt
stays; Ctrl-C interrupts the running task, Ctrl-D leaves."""

from __future__ import annotations

import asyncio
import shlex
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import WordCompleter
from prompt_toolkit.history import FileHistory, InMemoryHistory

from heroic_cli.shell.context import ShellContext
from heroic_cli.shell.runner import BUILTINS, run_task
from heroic_cli.shell.tasks import TASKS

HISTORY = Path.home() / ".heroic_shell_history"


def _history() -> FileHistory | InMemoryHistory:
    try:
        HISTORY.touch(exist_ok=True)
    except OSError:  # a read-only home (a locked-down pod): history for this session only
        return InMemoryHistory()
    return FileHistory(str(HISTORY))


async def interactive(ctx: ShellContext) -> int:
    completer = WordCompleter(sorted([*TASKS, *BUILTINS]), sentence=True)
    session: PromptSession[str] = PromptSession(history=_history(), completer=completer)
    ctx.io.note("Heroic shell: help lists the tasks, exit (or Ctrl-D) leaves.")
    while True:
        try:
            line = await session.prompt_async("heroic> ")
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        try:
            argv = shlex.split(line)
        except ValueError as exc:
            ctx.io.note(f"error: {exc}")
            continue
        if argv and argv[0] in ("exit", "quit"):
            return 0
        running = asyncio.ensure_future(run_task(ctx, argv))
        try:
            await running
        except (KeyboardInterrupt, asyncio.CancelledError):
            running.cancel()
            ctx.io.note("interrupted")
