"""A task: its name, usage (an argparse parser whose errors are usage errors, not exits) and
what it does with a ``ShellContext``."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from heroic_cli.shell.context import ShellContext
from heroic_cli.shell.errors import UsageError

Run = Callable[[ShellContext, argparse.Namespace], Awaitable[int | None]]


class TaskParser(argparse.ArgumentParser):
    """An argument parser that raises ``UsageError`` (naming the task) instead of exiting.

    Upstream options this implementation has no use for are accepted (scripts pass them) and
    warned about when given: ``add_ignored``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ignored: dict[str, tuple[str, str]] = {}

    def add_ignored(self, *flags: str, why: str, **kwargs: Any) -> None:
        """Accept upstream's ``flags``; using one prints a warning saying ``why`` it does
        nothing (named by the last flag, the long one)."""
        flag = flags[-1]
        dest = "ignored_" + flag.lstrip("-").replace("-", "_")
        self.add_argument(
            *flags, dest=dest, default=argparse.SUPPRESS, help=f"no effect: {why}", **kwargs
        )
        self.ignored[dest] = (flag, why)

    def warnings(self, args: argparse.Namespace) -> list[str]:
        return [
            f"{flag} has no effect: {why}"
            for dest, (flag, why) in self.ignored.items()
            if hasattr(args, dest)
        ]

    def error(self, message: str) -> NoReturn:
        if message.startswith("unrecognized arguments"):
            options = sorted(
                o for a in self._actions for o in a.option_strings if o.startswith("--")
            )
            message += f"; valid options: {', '.join(options)}"
        raise UsageError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        # --help prints and "exits": the task simply does not run.
        raise HelpShown(message or "")


class HelpShown(Exception):  # noqa: N818 - not an error: help was asked for and printed
    """``--help`` of a task was printed."""


@dataclass(frozen=True, slots=True)
class Task:
    name: str
    help: str
    arguments: Callable[[TaskParser], None]
    run: Run

    def parser(self) -> TaskParser:
        parser = TaskParser(prog=self.name, description=self.help, add_help=True)
        self.arguments(parser)
        return parser


TASKS: dict[str, Task] = {}


def task(
    name: str, help: str, arguments: Callable[[TaskParser], None] | None = None
) -> Callable[[Run], Run]:
    """Register the decorated coroutine as task ``name``."""

    def register(run: Run) -> Run:
        TASKS[name] = Task(name, help, arguments or (lambda _: None), run)
        return run

    return register
