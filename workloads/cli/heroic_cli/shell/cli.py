"""``heroic shell`` / ``heroic-shell``: upstream's options (``-P``, ``-X``, ``--config``,
``--server``, ``--connect``) and a task with its arguments to run it non-interactively
(``heroic shell -P memory -- query 'average from points(1d)'``); without a task, the prompt.
Exit codes: 0 done, 1 the task failed, 2 a wrong profile, parameter, task or argument."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from heroic_cli.shell.errors import EXIT_USAGE, UsageError

#: 128 + SIGINT, as shells report a process stopped by Ctrl-C.
EXIT_INTERRUPTED = 130

if TYPE_CHECKING:  # imported on use, to keep ``heroic --help`` light
    from heroic_cli.shell.config import ShellConfig
    from heroic_cli.shell.context import ShellContext


class ShellSettings(BaseSettings):
    """Settings of ``heroic shell`` (flags, else ``HEROIC_SHELL_*`` variables)."""

    model_config = SettingsConfigDict(env_prefix="HEROIC_SHELL_", env_ignore_empty=True)

    config: str | None = None
    profile: list[str] = Field(default_factory=list)
    extra: list[str] = Field(default_factory=list)
    server: bool = False
    connect: str | None = None
    task: list[str] = Field(default_factory=list)


settings_model = ShellSettings


def _profiles_help() -> str:
    from heroic_cli.shell.profiles import PROFILES  # noqa: PLC0415

    lines = ["profiles (-P NAME) and their parameters (-X SCOPE.NAME[=VALUE]):"]
    for profile in PROFILES.values():
        lines.append(f"  {profile.name}: {profile.description}")
        for p in profile.parameters:
            value = f"={p.metavar}" if p.metavar else ""
            lines.append(f"      -X {profile.scope}.{p.name}{value}  {p.help}")
    lines.append("  global: -X configure, -X <bigtable|datastax|elasticsearch>.configure, "
                 "-X ingestion.filter=<hql>")  # fmt: skip
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.description = f"{parser.description}\n\n{_profiles_help()}"
    parser.add_argument("--config", help="heroic.yml (in a pod: its own, when no -P is given)")
    parser.add_argument("-P", "--profile", action="append", help="a profile (repeatable)")
    parser.add_argument(
        "-X", "--extra", action="append", metavar="KEY[=VALUE]", help="a parameter (repeatable)"
    )
    node = parser.add_mutually_exclusive_group()
    node.add_argument(
        "--server", action="store_true", help="run the node's API and consumers in the shell"
    )
    node.add_argument(
        "--connect", metavar="HOST[:PORT]", help="run the tasks on a running node (port 9190)"
    )
    parser.add_argument(
        "task", nargs=argparse.REMAINDER, help="a task and its arguments (none: the prompt)"
    )


def run(settings: ShellSettings) -> int:
    from heroic_cli.shell.config import build  # noqa: PLC0415
    from heroic_cli.shell.context import ShellContext, ShellIO  # noqa: PLC0415

    io = ShellIO()
    try:
        if settings.connect is not None:
            built = _remote_config(settings)
        else:
            built = build(settings.config, settings.profile, settings.extra)
    except UsageError as exc:
        io.note(f"heroic shell: {exc}")
        return EXIT_USAGE
    for warning in built.warnings:
        io.note(f"warning: {warning}")
    ctx = ShellContext(built.config, io)
    task = settings.task[1:] if settings.task[:1] == ["--"] else settings.task
    try:
        return asyncio.run(_session(ctx, task, settings))
    except KeyboardInterrupt:  # the task said what it did and how to resume
        return EXIT_INTERRUPTED


def _remote_config(settings: ShellSettings) -> ShellConfig:
    """With ``--connect`` the node's own config applies; the shell's options would not."""
    from heroic_cli.shell.config import ShellConfig  # noqa: PLC0415
    from heroic_cli.shell.remote import parse_address  # noqa: PLC0415
    from heroic_core.config import HeroicConfig  # noqa: PLC0415

    parse_address(settings.connect or "")
    given = {"--config": settings.config, "-P": settings.profile, "-X": settings.extra}
    ignored = [option for option, value in given.items() if value]
    warnings = [f"{', '.join(ignored)} ignored with --connect: the node uses its own config"]
    return ShellConfig(HeroicConfig.default(), "--connect", warnings if ignored else [])


async def _session(ctx: ShellContext, task: Sequence[str], settings: ShellSettings) -> int:
    from heroic_cli.shell.errors import EXIT_FAILED, TaskFailedError  # noqa: PLC0415
    from heroic_cli.shell.repl import interactive  # noqa: PLC0415
    from heroic_cli.shell.runner import run_task  # noqa: PLC0415

    try:
        async with _node(ctx, settings):
            return await run_task(ctx, task) if task else await interactive(ctx)
    except TaskFailedError as exc:
        ctx.io.note(f"heroic shell: {exc}")
        return EXIT_FAILED
    finally:
        await ctx.close()


def _node(ctx: ShellContext, settings: ShellSettings) -> AbstractAsyncContextManager[None]:
    """``--server``: the node runs in the shell; ``--connect``: the tasks run on a node."""
    if settings.server:
        from heroic_cli.shell.server import serving  # noqa: PLC0415

        return serving(ctx)
    if settings.connect is not None:
        from heroic_cli.shell.remote import connected  # noqa: PLC0415

        return connected(ctx, settings.connect)
    return contextlib.nullcontext()


def main(argv: Sequence[str] | None = None) -> int:
    """The ``heroic-shell`` console script: ``heroic shell`` under upstream's name."""
    from heroic_cli.main import main as heroic  # noqa: PLC0415

    return heroic(["shell", *(sys.argv[1:] if argv is None else argv)])
