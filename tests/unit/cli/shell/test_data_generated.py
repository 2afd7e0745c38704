"""``load-generated``, ``write-performance`` and ``read-write-test`` against memory backends,
and the generators behind them."""

from __future__ import annotations

import random
import re
import time
from pathlib import Path

import numpy as np
import pytest

from heroic_cli.shell.tasks.generators import (
    MAGNITUDE,
    STEP,
    generated_series,
    random_events,
    sine,
)
from heroic_core.backends.keyspace import BackendKey
from heroic_core.filters import TRUE
from heroic_core.model import DateRange, Points, Series
from tests.unit.cli.shell.data_support import metric, run, shell, two_metric_groups

pytestmark = pytest.mark.anyio

DAY = 86_400_000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_generated_series_are_the_same_on_every_run() -> None:
    assert generated_series(7) == generated_series(7)
    assert generated_series(7).key == "key-7"
    assert generated_series(7).resource == {"instance": "7"}
    assert generated_series(7).tags["host"] == "7.example.com"


def test_sine_points_are_one_step_apart_and_within_the_wave() -> None:
    points = sine(generated_series(1), DateRange(0, DAY), random.Random(1))  # noqa: S311 - test data
    assert len(points) == DAY // STEP
    assert set(np.diff(points.timestamps).tolist()) == {STEP}
    spread = float(points.values.max() - points.values.min())
    assert MAGNITUDE < spread < 2 * MAGNITUDE + 50


def test_random_events_fall_inside_the_range() -> None:
    events = random_events(generated_series(1), DateRange(1000, 1000 + DAY), random.Random(2))  # noqa: S311
    assert 0 < len(events) <= DAY // STEP
    assert events.timestamps.min() > 1000
    assert events.timestamps.max() <= 1000 + DAY
    assert set(events.values.tolist()) == {1.0}


async def test_load_generated_writes_points_and_metadata_of_each_series() -> None:
    ctx = shell()
    ran = await run(ctx, "load-generated", "-c", "3", "-d", "1d")
    assert ran.code == 0, ran.err
    assert [line.split(",")[0] for line in ran.lines] == [
        "Wrote: Series(key=key-0", "Wrote: Series(key=key-1", "Wrote: Series(key=key-2",
    ]  # fmt: skip
    backend = await metric(ctx)
    assert backend.series() == sorted(generated_series(i) for i in range(3))
    assert [await backend.count_key(BackendKey(s, 0)) for s in backend.series()] == [100] * 3
    found = await (await ctx.backends()).metadata.members[0].find_series(TRUE, DateRange(0, 2**42))
    assert len(found.series) == 3


async def test_load_generated_resumes_with_skip() -> None:
    ctx = shell()
    ran = await run(ctx, "load-generated", "-c", "5", "--skip", "3", "-d", "1h")
    assert ran.code == 0, ran.err
    assert (await metric(ctx)).series() == sorted(generated_series(i) for i in (3, 4))


async def test_load_generated_rejects_an_unknown_generator() -> None:
    ran = await run(shell(), "load-generated", "--generator", "cosine")
    assert ran.code == 2
    assert "--generator: invalid choice: 'cosine'" in ran.err
    assert "random-events" in ran.err
    assert "sine" in ran.err


async def test_load_generated_rejects_a_bad_duration() -> None:
    ran = await run(shell(), "load-generated", "-d", "a week")
    assert ran.code == 2
    assert "invalid duration: 'a week'" in ran.err


async def test_write_performance_reports_steps_rates_and_percentiles() -> None:
    ctx = shell(two_metric_groups())
    old = await metric(ctx, "old")
    now = time.time_ns() // 1_000_000
    for i in range(2):
        series = Series("generated", {"type": "generated", "generated-id": str(i)})
        await old.write(series, Points.of([(now - 1000 * k, float(k)) for k in range(1, 6)]))
    argv = ["--from", "old", "--target", "new", "--series", "2", "--writes", "3"]
    ran = await run(ctx, "write-performance", *argv, "--warmup", "1", "--loop", "2")
    assert ran.code == 0, ran.err
    assert ran.lines[:3] == ["Warmup step 1/1", "Running step 1/2", "Running step 2/2"]
    assert ran.lines[3] == "Failed: 0 write(s)"
    assert re.fullmatch(r"Times: \d+\.\d\d \d+\.\d\d", ran.lines[4])
    assert re.fullmatch(r"Write/s: \d+\.\d\d \d+\.\d\d", ran.lines[5])
    batch = ran.lines.index("Batch Times:")
    assert ran.lines[batch + 1] == " total: 12 write(s)"  # 2 series x 3 writes x 2 steps
    assert [line.split(":")[0] for line in ran.lines[batch + 2 : batch + 8]] == [
        "   avg", "  10th", "  50th", "  75th", "  90th", "  99th",
    ]  # fmt: skip
    assert "Individual Times:" in ran.lines
    assert len(await (await metric(ctx, "new")).fetch(series, DateRange(0, now))) == 5


async def test_write_performance_needs_a_target() -> None:
    ran = await run(shell(), "write-performance", "--from", "memory")
    assert ran.code == 2
    assert "'targets' is empty, add some with --target" in ran.err


async def test_write_performance_without_points_to_copy_fails_saying_so() -> None:
    ran = await run(shell(), "write-performance", "--from", "memory", "--target", "memory")
    assert ran.code == 1
    assert "no points of the 10 'generated' series in group memory" in ran.err


async def test_read_write_test_writes_and_reads_back_a_file(tmp_path: Path) -> None:
    target = tmp_path / "probe.txt"
    ran = await run(shell(), "read-write-test", "-f", str(target))
    assert (ran.code, ran.out) == (0, "Hello World\n")
    assert target.read_text() == "Hello World\n"


async def test_read_write_test_names_the_file_it_cannot_write(tmp_path: Path) -> None:
    ran = await run(shell(), "read-write-test", "-f", str(tmp_path / "missing" / "probe.txt"))
    assert ran.code == 1
    assert "probe.txt: No such file or directory" in ran.err
