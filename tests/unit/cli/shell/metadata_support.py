"""Running shell tasks against memory backends in tests: a context with captured output."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from heroic_cli.shell.context import ShellContext, ShellIO
from heroic_cli.shell.runner import run_task
from heroic_core.backends.base import MetadataBackend, SuggestBackend
from heroic_core.backends.memory import MemoryMetadataBackend
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Series

ANY_TIME = DateRange(0, 1)


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def context(config: dict[str, Any] | None = None) -> ShellContext:
    """A shell over ``config`` (default: one memory backend of each kind), output captured."""
    built = HeroicConfig.default() if config is None else HeroicConfig.from_dict(config)
    return ShellContext(built, ShellIO(out=io.StringIO(), err=io.StringIO()))


def memory_groups(*groups: str, default: str | None = None) -> dict[str, Any]:
    """One memory metadata and one memory suggest backend per group, ids equal to groups."""

    def section(kind: str) -> dict[str, Any]:
        backends = [{"type": "memory", "id": f"{kind}-{g}", "groups": [g]} for g in groups]
        out: dict[str, Any] = {"backends": backends}
        if default is not None:
            out["defaultBackends"] = [default]
        return out

    return {"metadata": section("metadata"), "suggest": section("suggest")}


def captured(stream: object) -> str:
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


async def memory_metadata(ctx: ShellContext, index: int = 0) -> MemoryMetadataBackend:
    """The ``index``-th metadata backend, a memory one."""
    backend = (await ctx.backends()).metadata.members[index]
    assert isinstance(backend, MemoryMetadataBackend)
    return backend


async def run(ctx: ShellContext, *argv: str) -> Result:
    """Run one task; what it printed since the last run."""
    out, err = ctx.io.out, ctx.io.err
    assert isinstance(out, io.StringIO)
    assert isinstance(err, io.StringIO)
    start_out, start_err = out.tell(), err.tell()
    code = await run_task(ctx, list(argv))
    return Result(code, out.getvalue()[start_out:], err.getvalue()[start_err:])


async def index(ctx: ShellContext, *series: Series, group: str | None = None) -> None:
    """Write ``series`` to the metadata and suggest backends of ``group`` (default ones)."""
    backends = await ctx.backends()
    chosen: list[MetadataBackend | SuggestBackend] = [
        *backends.metadata.use(group),
        *backends.suggest.use(group),
    ]
    for backend in chosen:
        for s in series:
            await backend.write(s, ANY_TIME)


SERIES = (
    Series("cpu", {"host": "a", "role": "web"}),
    Series("cpu", {"host": "b", "role": "db"}),
    Series("memory used", {"host": "a"}, {"pod": "x"}),
)
