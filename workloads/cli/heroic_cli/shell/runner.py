"""Running one task line: find the task, parse its arguments, run it, and turn its failure
into one line (exit code 1) and a wrong name or argument into a usage error (exit code 2)."""

from __future__ import annotations

from collections.abc import Sequence

from heroic_cli.shell.context import ShellContext
from heroic_cli.shell.errors import EXIT_FAILED, EXIT_USAGE, TaskFailedError, UsageError, unknown
from heroic_cli.shell.tasks import TASKS
from heroic_cli.shell.tasks.base import HelpShown
from heroic_core.errors import HeroicError

BUILTINS = ("help", "exit", "quit")


def help_text(name: str | None = None) -> str:
    """``help`` (every task) or ``help TASK`` (its usage)."""
    if name is None:
        width = max(len(n) for n in TASKS)
        lines = [f"  {n:<{width}}  {t.help}" for n, t in sorted(TASKS.items())]
        return "Tasks (help TASK for its arguments):\n" + "\n".join(lines)
    found = TASKS.get(name)
    if found is None:
        raise unknown("task", name, TASKS)
    return found.parser().format_help().rstrip()


async def run_task(ctx: ShellContext, argv: Sequence[str]) -> int:
    """Run ``argv`` (a task name and its arguments); the exit code."""
    if ctx.remote is not None and argv:
        return await ctx.remote.run(ctx.io, argv)
    return await _run_here(ctx, argv)


async def _run_here(ctx: ShellContext, argv: Sequence[str]) -> int:
    if not argv:
        return 0
    name, *rest = argv
    try:
        if name == "help":
            ctx.io.line(help_text(rest[0] if rest else None))
            return 0
        found = TASKS.get(name)
        if found is None:
            raise unknown("task", name, [*TASKS, *BUILTINS])
        parser = found.parser()
        try:
            args = parser.parse_args(rest)
        except HelpShown:
            ctx.io.line(parser.format_help().rstrip())
            return 0
        for warning in parser.warnings(args):
            ctx.io.note(f"warning: {name}: {warning}")
        code = await found.run(ctx, args)
    except UsageError as exc:
        ctx.io.note(f"error: {exc}")
        return EXIT_USAGE
    except (TaskFailedError, HeroicError) as exc:
        ctx.io.note(f"error: {name}: {exc}")
        return EXIT_FAILED
    return code or 0
