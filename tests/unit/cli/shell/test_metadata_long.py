"""``metadata-load`` and ``metadata-migrate`` against memory backends: what they copy, how a
failure or an interruption is reported, and that the printed resume command finishes the job."""

from __future__ import annotations

import asyncio
import gzip
import json
import shlex
from collections.abc import Sequence
from pathlib import Path

import pytest

from heroic_cli.shell.context import ShellContext
from heroic_cli.shell.tasks.metadata_load import BATCH
from heroic_cli.shell.tasks.metadata_migrate import KEYS_PER_PAGE
from heroic_core.backends.base import MetadataBackend
from heroic_core.filters import TRUE
from heroic_core.model import DateRange, Series
from tests.unit.cli.shell.metadata_support import (
    ANY_TIME,
    SERIES,
    captured,
    context,
    index,
    memory_groups,
    memory_metadata,
    run,
)

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def many(n: int) -> list[Series]:
    return [Series(f"key-{i:04d}", {"n": str(i)}) for i in range(n)]


def lines_file(path: Path, series: Sequence[Series]) -> Path:
    path.write_text("".join(json.dumps(s.to_json()) + "\n" for s in series))
    return path


async def stored(backend: MetadataBackend) -> set[Series]:
    return set((await backend.find_series(TRUE, ANY_TIME)).series)


def resume_argv(err: str) -> list[str]:
    return shlex.split(err.split("resume with: ", 1)[1].splitlines()[0])


async def test_metadata_load_indexes_into_metadata_and_suggest(tmp_path: Path) -> None:
    ctx = context()
    path = tmp_path / "series.json"
    path.write_text(
        "".join(json.dumps(s.to_json()) + "\n" for s in SERIES) + "not json\n\n",
    )
    result = await run(ctx, "metadata-load", "-f", str(path))
    assert result.code == 0
    assert result.lines[-2:] == ["Written: 3 series", "Bad lines: 1"]
    assert "line 4: not a series" in result.err
    backends = await ctx.backends()
    assert await stored(backends.metadata.members[0]) == set(SERIES)
    keys = await backends.suggest.members[0].key_suggest(TRUE, ANY_TIME, key="cpu")
    assert [s.key for s in keys.suggestions] == ["cpu"]


async def test_metadata_load_reads_gzip_and_resumes_at_a_line(tmp_path: Path) -> None:
    ctx = context()
    path = tmp_path / "series.json.gz"
    path.write_bytes(gzip.compress(b"".join(json.dumps(s.to_json()).encode() + b"\n"
                                            for s in SERIES)))  # fmt: skip
    result = await run(ctx, "metadata-load", "-f", str(path), "--resume-from", "2")
    assert result.lines[-2:] == ["Written: 2 series", "Bad lines: 0"]
    assert await stored((await ctx.backends()).metadata.members[0]) == set(SERIES[1:])


async def test_metadata_load_into_a_group_leaves_the_others(tmp_path: Path) -> None:
    ctx = context(memory_groups("old", "new", default="old"))
    result = await run(
        ctx, "metadata-load", "-t", "new", "-f", str(lines_file(tmp_path / "s", SERIES))
    )
    assert "  to (metadata): metadata-new" in result.lines
    old, new = (await ctx.backends()).metadata.members
    assert (await stored(new), await stored(old)) == (set(SERIES), set())


async def test_metadata_load_applies_the_ingestion_filter(tmp_path: Path) -> None:
    ctx = context({**memory_groups("m"), "ingestion": {"filter": "host = b"}})
    result = await run(ctx, "metadata-load", "-f", str(lines_file(tmp_path / "s", SERIES)))
    assert result.lines[-3:] == [
        "Written: 1 series",
        "Bad lines: 0",
        "Not matching ingestion.filter: 2",
    ]
    assert await stored((await ctx.backends()).metadata.members[0]) == {SERIES[1]}


async def test_metadata_load_of_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = await run(context(), "metadata-load", "-f", str(tmp_path / "nope"))
    assert result.code == 2
    assert "no such file" in result.err


async def test_metadata_load_failure_prints_a_resume_command_that_finishes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context()
    series = many(BATCH * 2 + 7)
    path = lines_file(tmp_path / "series.json", series)
    backend = await memory_metadata(ctx)
    real, calls = backend.write_many, []

    async def flaky(items: Sequence[tuple[Series, DateRange]]) -> None:
        calls.append(len(items))
        if len(calls) == 2:
            raise ConnectionError("connection reset")
        await real(items)

    monkeypatch.setattr(backend, "write_many", flaky)
    failed = await run(ctx, "metadata-load", "-f", str(path))
    assert failed.code == 1
    assert f"backend memory#0: connection reset; lines up to {BATCH} are loaded" in failed.err
    assert resume_argv(failed.err)[-2:] == ["--resume-from", str(BATCH + 1)]
    resumed = await run(ctx, *resume_argv(failed.err))
    assert resumed.code == 0
    assert await stored(backend) == set(series)


async def test_metadata_load_interrupted_says_where_to_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context()
    path = lines_file(tmp_path / "series.json", many(BATCH * 3))
    backend = await memory_metadata(ctx)
    real, second_batch, never = backend.write_many, asyncio.Event(), asyncio.Event()

    async def stalls(items: Sequence[tuple[Series, DateRange]]) -> None:
        if second_batch.is_set():
            await never.wait()
        second_batch.set()
        await real(items)

    monkeypatch.setattr(backend, "write_many", stalls)
    running = asyncio.ensure_future(run(ctx, "metadata-load", "-f", str(path)))
    await second_batch.wait()
    await asyncio.sleep(0.05)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    err = captured(ctx.io.err)
    assert f"interrupted; lines up to {BATCH} are loaded" in err
    assert resume_argv(err)[-2:] == ["--resume-from", str(BATCH + 1)]


async def migrate_context() -> ShellContext:
    ctx = context(memory_groups("old", "new", default="old"))
    await index(ctx, *SERIES, group="old")
    return ctx


async def test_metadata_migrate_without_ok_only_counts() -> None:
    ctx = await migrate_context()
    result = await run(ctx, "metadata-migrate", "-g", "old", "-t", "new")
    assert result.lines == [
        "Migrating:",
        "  from: old (metadata-old)",
        "    to: new (metadata-new)",
        "Migrating 3 entrie(s)",
        "Migration stopped, use --ok to proceed",
    ]
    assert await stored((await ctx.backends()).metadata.members[1]) == set()


async def test_metadata_migrate_copies_matching_series_and_keeps_the_source() -> None:
    ctx = await migrate_context()
    result = await run(ctx, "metadata-migrate", "-g", "old", "-t", "new", "--ok", "host", "=", "a")
    assert result.lines[-1] == "2/2 ended (nothing was deleted from old)"
    old, new = (await ctx.backends()).metadata.members
    assert await stored(new) == {SERIES[0], SERIES[2]}
    assert await stored(old) == set(SERIES)


async def test_metadata_migrate_stops_at_the_limit() -> None:
    ctx = await migrate_context()
    result = await run(ctx, "metadata-migrate", "-g", "old", "-t", "new", "--ok", "--limit", "2")
    assert result.lines[-1].startswith("2/2 ended")
    assert len(await stored((await ctx.backends()).metadata.members[1])) == 2


async def test_metadata_migrate_needs_both_groups_and_distinct_backends() -> None:
    ctx = await migrate_context()
    missing = await run(ctx, "metadata-migrate", "-g", "old")
    same = await run(ctx, "metadata-migrate", "-g", "old", "-t", "old", "--ok")
    assert (missing.code, same.code) == (2, 2)
    assert "the following arguments are required: -t/--target" in missing.err
    assert "groups 'old' and 'old' share metadata-old" in same.err


async def test_metadata_migrate_failure_prints_a_resume_command_that_finishes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = context(memory_groups("old", "new", default="old"))
    series = many(KEYS_PER_PAGE * 2 + 3)
    await index(ctx, *series, group="old")
    target = await memory_metadata(ctx, 1)
    real, calls = target.write_many, []

    async def flaky(items: Sequence[tuple[Series, DateRange]]) -> None:
        calls.append(len(items))
        if len(calls) == 2:
            raise ConnectionError("timed out")
        await real(items)

    monkeypatch.setattr(target, "write_many", flaky)
    failed = await run(ctx, "metadata-migrate", "-g", "old", "-t", "new", "--ok")
    assert failed.code == 1
    first_missing = series[KEYS_PER_PAGE].key
    assert f"backend metadata-new: timed out; copied {KEYS_PER_PAGE} series" in failed.err
    assert resume_argv(failed.err)[-2:] == ["--resume-from", first_missing]
    resumed = await run(ctx, *resume_argv(failed.err))
    assert f"  resuming at key: {first_missing}" in resumed.lines
    assert (
        resumed.lines[-1]
        == f"{KEYS_PER_PAGE + 3}/{len(series)} ended (nothing was deleted from old)"
    )
    assert await stored(target) == set(series)


async def test_metadata_migrate_interrupted_says_where_to_resume(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx = context(memory_groups("old", "new", default="old"))
    series = many(KEYS_PER_PAGE * 3)
    await index(ctx, *series, group="old")
    target = await memory_metadata(ctx, 1)
    real, second_page, never = target.write_many, asyncio.Event(), asyncio.Event()

    async def stalls(items: Sequence[tuple[Series, DateRange]]) -> None:
        if second_page.is_set():
            await never.wait()
        second_page.set()
        await real(items)

    monkeypatch.setattr(target, "write_many", stalls)
    argv = ("metadata-migrate", "-g", "old", "-t", "new", "--ok", "n", "!=", "x")
    running = asyncio.ensure_future(run(ctx, *argv))
    await second_page.wait()
    await asyncio.sleep(0.05)
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    err = captured(ctx.io.err)
    assert f"interrupted; copied {KEYS_PER_PAGE} series" in err
    assert resume_argv(err)[-5:] == ["--resume-from", series[KEYS_PER_PAGE].key, "n", "!=", "x"]
    assert await stored(await memory_metadata(ctx, 0)) == set(series)
