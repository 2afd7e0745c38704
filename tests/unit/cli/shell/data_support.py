"""Shell contexts over memory backends for the data tasks' tests, and a task runner that
returns the exit code with what the task printed on stdout and stderr."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from heroic_cli.shell.context import ShellContext, ShellIO
from heroic_cli.shell.runner import run_task
from heroic_core.backends.memory import MemoryMetricBackend
from heroic_core.config import HeroicConfig
from heroic_core.model import Points, Series


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def shell(config: HeroicConfig | None = None) -> ShellContext:
    return ShellContext(
        config or HeroicConfig.default(), ShellIO(out=io.StringIO(), err=io.StringIO())
    )


def two_metric_groups() -> HeroicConfig:
    """Memory metric backends ``old`` and ``new``, each its own group; ``old`` the default."""
    memory = {"backends": [{"type": "memory"}]}
    return HeroicConfig.from_dict(
        {
            "metrics": {
                "backends": [
                    {"type": "memory", "id": "old", "groups": ["old"]},
                    {"type": "memory", "id": "new", "groups": ["new"]},
                ],
                "defaultBackends": ["old"],
            },
            "metadata": memory,
            "suggest": memory,
        }
    )


async def run(ctx: ShellContext, *argv: str) -> Ran:
    out, err = ctx.io.out, ctx.io.err
    assert isinstance(out, io.StringIO)
    assert isinstance(err, io.StringIO)
    out.seek(0), out.truncate(), err.seek(0), err.truncate()
    code = await run_task(ctx, list(argv))
    return Ran(code, out.getvalue(), err.getvalue())


async def metric(ctx: ShellContext, backend_id: str | None = None) -> MemoryMetricBackend:
    """The memory metric backend ``backend_id`` (the first when None)."""
    members = (await ctx.backends()).metrics.members
    found = next(m for m in members if backend_id is None or m.id == backend_id)
    assert isinstance(found, MemoryMetricBackend)
    return found


def pairs(points: Points) -> list[tuple[int, float]]:
    return [(p.timestamp, p.value) for p in points]


def series(key: str, **tags: str) -> Series:
    return Series(key, tags)


def key_json(series: Series, base: int = 0) -> dict[str, Any]:
    return {"series": series.to_json(), "base": base}
