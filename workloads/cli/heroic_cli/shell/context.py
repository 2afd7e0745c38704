"""What a task works with: the shell's config, its backends (opened on first use, and the
``configure: true`` ones configured then, as upstream does at start), and the shell's output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from heroic_cli.shell.errors import TaskFailedError
from heroic_core.backends.base import Backend
from heroic_core.backends.group import Backends
from heroic_core.config import HeroicConfig
from heroic_core.errors import HeroicError


class RateColumn(ProgressColumn):
    """Items per second; blank until rich has measured a rate (``task.speed`` is None)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:>8.0f}/s")


class ShellIO:
    """Task output: lines of text or JSON on ``out``, notes and progress on ``err``."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.console = Console(file=self.err, highlight=False)

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def json(self, value: Any) -> None:
        self.line(json.dumps(value, sort_keys=True, default=str))

    def note(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()

    @contextmanager
    def progress(self, what: str, total: float | None = None) -> Iterator[Progress]:
        """A progress bar with count, rate and ETA (rich), on the error stream."""
        columns = [
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=self.console, transient=False) as bar:
            bar.add_task(what, total=total)
            yield bar


class ShellContext:
    """One shell session: config, lazily opened backends, output."""

    def __init__(self, config: HeroicConfig, io: ShellIO | None = None) -> None:
        self.config = config
        self.io = io or ShellIO()
        self._backends: Backends | None = None

    async def backends(self) -> Backends:
        if self._backends is None:
            from heroic_core.backends.factory import build_backends  # noqa: PLC0415 - heavy

            try:
                backends = build_backends(self.config)
            except HeroicError as exc:
                raise TaskFailedError(f"cannot open the backends: {exc}") from None
            self._backends = backends
            await self._configure_at_start(backends)
        return self._backends

    async def _configure_at_start(self, backends: Backends) -> None:
        pairs: list[tuple[Any, Backend]] = [
            *zip(self.config.metrics.backends, backends.metrics.members, strict=True),
            *zip(self.config.metadata.backends, backends.metadata.members, strict=True),
            *zip(self.config.suggest.backends, backends.suggest.members, strict=True),
        ]
        for config, backend in pairs:
            if getattr(config, "configure", False):
                result = await failing_as(backend, backend.configure())
                self.io.note(f"configured {backend.id}: {describe(result.to_json())}")

    async def close(self) -> None:
        if self._backends is not None:
            backends, self._backends = self._backends, None
            await backends.close()


def describe(result: dict[str, list[str]]) -> str:
    created = ", ".join(result["created"]) or "nothing"
    existing = ", ".join(result["existing"]) or "nothing"
    return f"created {created}; already there: {existing}"


async def failing_as(backend: Backend, work: Any) -> Any:
    """``await work``, a failure named by ``backend`` (the interactive shell goes on)."""
    try:
        return await work
    except TaskFailedError:
        raise
    except Exception as exc:
        raise TaskFailedError(f"backend {backend.id}: {exc or type(exc).__name__}") from exc
