"""``write`` and ``fetch`` against memory backends, and the argument forms they read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from heroic_cli.shell.errors import UsageError
from heroic_cli.shell.tasks.inputs import format_nanos, parse_instant, parse_points
from heroic_core.filters import TRUE
from heroic_core.model import DateRange
from tests.unit.cli.shell.data_support import metric, pairs, run, series, shell

pytestmark = pytest.mark.anyio


def ms(text: str) -> int:
    """``2024-05-06T12:30[:ss]`` in UTC, in ms."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


NOW = ms("2024-05-06T12:30")
CPU = json.dumps({"key": "cpu", "tags": {"host": "a"}})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1234", 1234),
        ("+500", NOW + 500),
        ("-500", NOW - 500),
        ("2024-01-02/03:04", ms("2024-01-02T03:04")),
        ("2024-01-02/03:04:05.678", ms("2024-01-02T03:04:05") + 678),
        ("08:15", ms("2024-05-06T08:15")),
    ],
)
def test_instants_take_upstreams_forms(text: str, expected: int) -> None:
    assert parse_instant(text, NOW, "--start") == expected


def test_a_bad_instant_names_the_option_and_the_forms() -> None:
    with pytest.raises(UsageError, match=r"--end: 'yesterday' is not a valid instant \(ms"):
        parse_instant("yesterday", NOW, "--end")


def test_points_without_a_time_are_written_now() -> None:
    parsed = parse_points(["1000=1.5", "7", "+10=-2"], NOW)
    assert parsed == [(1000, 1.5), (NOW, 7.0), (NOW + 10, -2.0)]


def test_a_point_that_is_not_a_number_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="'1000=abc': the value is not a number"):
        parse_points(["1000=abc"], NOW)


def test_nanos_format_as_upstream() -> None:
    assert [format_nanos(n) for n in (999, 1500, 2_500_000, 3_000_000_000)] == [
        "999 ns", "1.500 us", "2.500 ms", "3.000 s",
    ]  # fmt: skip


async def test_write_stores_points_and_indexes_the_series() -> None:
    ctx = shell()
    ran = await run(ctx, "write", "-s", CPU, "-p", "1000=1", "-p", "2000=2.5")
    assert ran.code == 0, ran.err
    assert ran.lines[:4] == [
        "series: Series(key=cpu, tags={host=a}, resource={})",
        "Writing 2 point(s):",
        "0: Point(timestamp=1000, value=1.0)",
        "1: Point(timestamp=2000, value=2.5)",
    ]
    # one write each to the metric, metadata and suggest backend, each timed
    assert ran.lines[4] == "metrics: Wrote 3"
    assert all(line.startswith("  #00") for line in ran.lines[5:8])
    stored = await (await metric(ctx)).fetch(series("cpu", host="a"), DateRange(0, 5000))
    assert pairs(stored) == [(1000, 1.0), (2000, 2.5)]
    found = await (await ctx.backends()).metadata.members[0].find_series(TRUE, DateRange(0, 5000))
    assert [s.key for s in found.series] == ["cpu"]


async def test_write_without_points_only_prints_the_series() -> None:
    ran = await run(shell(), "write", "-s", CPU)
    assert (ran.code, ran.lines) == (0, ["series: Series(key=cpu, tags={host=a}, resource={})"])


async def test_write_with_a_bad_series_is_a_usage_error() -> None:
    ran = await run(shell(), "write", "-s", "{not json", "-p", "1=1")
    assert ran.code == 2
    assert "-s/--series: not valid JSON" in ran.err


async def test_fetch_prints_points_under_their_hour() -> None:
    ctx = shell()
    start = ms("2024-05-06T10:00")
    times = [start + 1_000, start + 61_000, start + 3_600_000 + 500]
    await run(ctx, "write", "-s", CPU, *[f"-p={t}={i}" for i, t in enumerate(times)])
    ran = await run(ctx, "fetch", "-s", CPU, "--start", str(start), "--end", "+0")
    assert ran.code == 0, ran.err
    assert ran.lines[:6] == [
        "2024-05-06 10:00",
        f"  10:00:01.000: Point(timestamp={times[0]}, value=0.0)",
        f"  10:01:01.000: Point(timestamp={times[1]}, value=1.0)",
        "2024-05-06 11:00",
        f"  11:00:00.500: Point(timestamp={times[2]}, value=2.0)",
        "TRACE:",
    ]
    assert ran.lines[6].startswith(f"  {(await metric(ctx)).id}: 3 in ")


async def test_fetch_end_defaults_to_an_hour_after_start() -> None:
    ctx = shell()
    await run(ctx, "write", "-s", CPU, "-p", "1000=1", "-p", "3600999=2", "-p", "3601001=3")
    ran = await run(ctx, "fetch", "-s", CPU, "--start", "1000")
    assert [line for line in ran.lines if "Point(" in line] == [
        "  01:00:00.999: Point(timestamp=3600999, value=2.0)"
    ]


async def test_fetch_of_distribution_points_reads_the_distribution_store() -> None:
    ctx = shell()
    from heroic_core.model import Distributions  # noqa: PLC0415

    backend = await metric(ctx)
    await backend.write_distributions(series("cpu", host="a"), Distributions.of([(5, b"\x01")]))
    ran = await run(ctx, "fetch", "-s", CPU, "--source", "distributionPoints", "--start", "0")
    assert "  00:00:00.005: DistributionPoint(timestamp=5, value=AQ==)" in ran.lines


async def test_fetch_with_start_after_end_is_a_usage_error() -> None:
    ran = await run(shell(), "fetch", "--start", "5000", "--end", "1000")
    assert ran.code == 2
    assert "--start (5000) is after --end (1000)" in ran.err


async def test_fetch_from_an_unknown_group_fails_naming_it() -> None:
    ran = await run(shell(), "fetch", "-g", "nope")
    assert ran.code == 1
    assert "no metric backend in group 'nope'" in ran.err
