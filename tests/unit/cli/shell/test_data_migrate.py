"""``data-migrate`` between two memory metric backends (groups ``old`` and ``new``): what it
copies, what it skips, and how a failed or interrupted run reports and resumes."""

from __future__ import annotations

import asyncio
import io
import re
import shlex

import pytest

from heroic_cli.shell.context import ShellContext
from heroic_core.backends.memory import MemoryMetricBackend
from heroic_core.model import DateRange, Points, Series
from tests.unit.cli.shell.data_support import metric, pairs, run, series, shell, two_metric_groups

pytestmark = pytest.mark.anyio

EVERYTHING = DateRange(-1, 2**62)
MANY = [series(f"s{i:02d}", role="db" if i % 2 else "web") for i in range(12)]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def seeded() -> tuple[ShellContext, MemoryMetricBackend, MemoryMetricBackend]:
    ctx = shell(two_metric_groups())
    old, new = await metric(ctx, "old"), await metric(ctx, "new")
    for i, s in enumerate(MANY):
        await old.write(s, Points.of([(t, float(i * 100 + t)) for t in range(1, i + 2)]))
    return ctx, old, new


async def same_points(a: MemoryMetricBackend, b: MemoryMetricBackend, every: list[Series]) -> bool:
    for s in every:
        if pairs(await a.fetch(s, EVERYTHING)) != pairs(await b.fetch(s, EVERYTHING)):
            return False
    return True


def resume_option(out: str) -> list[str]:
    found = re.search(r"run the same command with (--start '[^']*'|--start-token \S+)", out)
    assert found, out
    return shlex.split(found.group(1))


async def test_migrate_copies_every_series_and_leaves_the_source() -> None:
    ctx, old, new = await seeded()
    ran = await run(ctx, "data-migrate", "-f", "old", "-t", "new")
    assert ran.code == 0, ran.err
    points = sum(range(1, len(MANY) + 1))
    assert ran.lines[0].startswith("Done in ")
    assert (
        f": copied {len(MANY)} series ({len(MANY)} keys, {points} points) from old to new"
        in (ran.lines[0])
    )
    assert new.series() == sorted(MANY)
    assert await same_points(old, new, MANY)
    assert old.series() == sorted(MANY)
    assert "counting keys of old" in ran.err


async def test_migrate_copies_only_the_time_range() -> None:
    ctx, _, new = await seeded()
    window = ["--start-time", "2", "--end-time", "4"]
    ran = await run(ctx, "data-migrate", "-f", "old", "-t", "new", *window)
    assert ran.code == 0, ran.err
    assert {t for s in MANY for t, _ in pairs(await new.fetch(s, EVERYTHING))} == {3, 4}


async def test_migrate_copies_only_series_matching_the_filter() -> None:
    ctx, _, new = await seeded()
    ran = await run(ctx, "data-migrate", "-f", "old", "-t", "new", "role", "=", "db")
    assert ran.code == 0, ran.err
    assert new.series() == sorted(s for s in MANY if s.tags["role"] == "db")
    assert "Skipped 6 keys not matching the filter, 0 unreadable keys" in ran.lines


async def test_migrate_refuses_to_copy_a_backend_onto_itself() -> None:
    ctx, _, _ = await seeded()
    ran = await run(ctx, "data-migrate", "-f", "old", "-t", "old")
    assert ran.code == 2
    assert "-t/--to includes the source backend old" in ran.err


async def test_migrate_needs_exactly_one_source_backend() -> None:
    ctx, _, _ = await seeded()
    ran = await run(ctx, "data-migrate", "-f", "nothing", "-t", "new")
    assert ran.code == 2
    assert "-f/--from must select one metric backend, it selects: none" in ran.err


async def test_a_failed_migration_says_where_to_resume_and_resuming_completes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx, old, new = await seeded()
    real_write, writes = new.write, 0

    async def failing_write(s: Series, points: Points) -> None:
        nonlocal writes
        writes += 1
        if writes == 5:
            raise ConnectionError("target went away")
        await real_write(s, points)

    monkeypatch.setattr(new, "write", failing_write)
    ran = await run(ctx, "data-migrate", "-f", "old", "-t", "new", "--parallelism", "1")
    assert ran.code == 1
    assert ran.lines[0].startswith("Failed: copied 4 series (4 keys, 10 points) from old to new")
    assert "backend new: target went away" in ran.err
    resume = resume_option(ran.out)
    assert resume[0] == "--start"
    assert f'"key": "{MANY[4].key}"' in resume[1]  # the key that failed comes first

    monkeypatch.setattr(new, "write", real_write)
    ran = await run(ctx, "data-migrate", "-f", "old", "-t", "new", *resume)
    assert ran.code == 0, ran.err
    assert f"copied {len(MANY) - 4} series" in ran.lines[0]
    assert await same_points(old, new, MANY)


async def test_an_interrupted_migration_reports_and_resumes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ctx, old, new = await seeded()
    real_write, writes, stalled = new.write, 0, asyncio.Event()

    async def stalling_write(s: Series, points: Points) -> None:
        nonlocal writes
        writes += 1
        if writes > 3:
            stalled.set()
            await asyncio.Event().wait()  # until cancelled
        await real_write(s, points)

    monkeypatch.setattr(new, "write", stalling_write)
    running = asyncio.ensure_future(
        run(ctx, "data-migrate", "-f", "old", "-t", "new", "--parallelism", "2")
    )
    await stalled.wait()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert isinstance(ctx.io.out, io.StringIO)
    out = ctx.io.out.getvalue()
    assert out.startswith("Interrupted: copied 3 series (3 keys, 6 points) from old to new")
    assert "key(s) failed or were stopped half-way" in out

    monkeypatch.setattr(new, "write", real_write)
    ran = await run(ctx, "data-migrate", "-f", "old", "-t", "new", *resume_option(out))
    assert ran.code == 0, ran.err
    assert await same_points(old, new, MANY)


async def test_resume_from_is_another_name_for_start() -> None:
    ctx, _, new = await seeded()
    listed = await run(ctx, "keys", "-g", "old")
    tenth = listed.lines[10]
    ran = await run(ctx, "data-migrate", "-f", "old", "-t", "new", "--resume-from", tenth)
    assert ran.code == 0, ran.err
    assert new.series() == sorted(MANY)[10:]
