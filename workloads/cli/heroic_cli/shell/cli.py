"""``heroic shell`` / ``heroic-shell``: upstream's options (``-P``, ``-X``, ``--config``,
``--server``, ``--connect``) and a task with its arguments to run it non-interactively
(``heroic shell -P memory -- query 'average from points(1d)'``); without a task, the prompt.
Exit codes: 0 done, 1 the task failed, 2 a wrong profile, parameter, task or argument."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from heroic_cli.shell.errors import EXIT_USAGE, UsageError

#: 128 + SIGINT, as shells report a process stopped by Ctrl-C.
EXIT_INTERRUPTED = 130


class ShellSettings(BaseSettings):
    """Settings of ``heroic shell`` (flags, else ``HEROIC_SHELL_*`` variables)."""

    model_config = SettingsConfigDict(env_prefix="HEROIC_SHELL_", env_ignore_empty=True)

    config: str | None = None
    profile: list[str] = Field(default_factory=list)
    extra: list[str] = Field(default_factory=list)
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
    parser.add_argument(
        "task", nargs=argparse.REMAINDER, help="a task and its arguments (none: the prompt)"
    )


def run(settings: ShellSettings) -> int:
    from heroic_cli.shell.config import build  # noqa: PLC0415
    from heroic_cli.shell.context import ShellContext, ShellIO  # noqa: PLC0415

    io = ShellIO()
    try:
        built = build(settings.config, settings.profile, settings.extra)
    except UsageError as exc:
        io.note(f"heroic shell: {exc}")
        return EXIT_USAGE
    for warning in built.warnings:
        io.note(f"warning: {warning}")
    ctx = ShellContext(built.config, io)
    task = settings.task[1:] if settings.task[:1] == ["--"] else settings.task
    try:
        return asyncio.run(_session(ctx, task))
    except KeyboardInterrupt:  # the task said what it did and how to resume
        return EXIT_INTERRUPTED


async def _session(ctx: object, task: Sequence[str]) -> int:
    from heroic_cli.shell.context import ShellContext  # noqa: PLC0415
    from heroic_cli.shell.repl import interactive  # noqa: PLC0415
    from heroic_cli.shell.runner import run_task  # noqa: PLC0415

    assert isinstance(ctx, ShellContext)  # noqa: S101 - typed lazily to keep imports light
    try:
        return await run_task(ctx, task) if task else await interactive(ctx)
    finally:
        await ctx.close()


def main(argv: Sequence[str] | None = None) -> int:
    """The ``heroic-shell`` console script: ``heroic shell`` under upstream's name."""
    from heroic_cli.main import main as heroic  # noqa: PLC0415

    return heroic(["shell", *(sys.argv[1:] if argv is None else argv)])
