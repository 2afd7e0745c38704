"""Points of one series: ``fetch`` (a range of points, printed per hour as upstream does) and
``write`` (points through the node's ingestion: metric, metadata and suggest backends as the
``ingestion`` settings say, the time of each backend write printed).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from heroic_cli.shell.context import ShellContext, failing_as
from heroic_cli.shell.errors import TaskFailedError, UsageError
from heroic_cli.shell.tasks.base import TaskParser, task
from heroic_cli.shell.tasks.inputs import (
    format_nanos,
    parse_instant,
    parse_points,
    parse_series,
    point_text,
    series_text,
    utc,
)
from heroic_cli.shell.tasks.keyargs import metric_backends
from heroic_core.backends.base import DistributionStore, MetricBackend
from heroic_core.backends.group import Backends
from heroic_core.model import DateRange, MetricType, Series

if TYPE_CHECKING:
    from heroic_api.services.write import WriteService

HOUR = 3_600_000
#: ``--source`` values: upstream's enum names and the JSON identifiers.
SOURCES = {
    "POINT": MetricType.POINTS,
    MetricType.POINTS.value: MetricType.POINTS,
    "DISTRIBUTION_POINTS": MetricType.DISTRIBUTION_POINTS,
    MetricType.DISTRIBUTION_POINTS.value: MetricType.DISTRIBUTION_POINTS,
}


def _now() -> int:
    return time.time_ns() // 1_000_000


def _fetch_arguments(parser: TaskParser) -> None:
    parser.add_argument("-s", "--series", metavar="<json>", help="series to fetch")
    parser.add_argument(
        "--source", choices=sorted(SOURCES), default="POINT", help="metric type to fetch"
    )
    parser.add_argument(
        "--start", metavar="<datetime>", help="start (default: an hour ago; --start=-60000)"
    )
    parser.add_argument("--end", metavar="<datetime>", help="end (default: start + 1 hour)")
    parser.add_argument("-g", "--group", metavar="<group>", help="backend group to use")
    parser.add_ignored("--tracing", why="this node traces no fetches", action="store_true")
    parser.add_ignored(
        "--sliced-data-fetch", why="fetches are always sliced by the backends", action="store_true"
    )


@task("fetch", "fetch a range of data points", _fetch_arguments)
async def fetch(ctx: ShellContext, args: argparse.Namespace) -> None:
    series = parse_series(args.series)
    now = _now()
    start = parse_instant(args.start, now, "--start") if args.start else now - HOUR
    end = parse_instant(args.end, now, "--end") if args.end else start + HOUR
    if start > end:
        raise UsageError(f"--start ({start}) is after --end ({end})")
    range_ = DateRange(start, end)
    backends = await metric_backends(ctx, args.group)
    timings: list[str] = []
    for backend in backends:
        started = time.perf_counter_ns()
        samples = await _samples(backend, series, range_, SOURCES[args.source])
        took = time.perf_counter_ns() - started
        timings.append(f"  {backend.id}: {len(samples)} in {format_nanos(took)}")
        last_hour: str | None = None
        for timestamp, text in samples:
            hour = utc(timestamp, "%Y-%m-%d %H:%M")
            if hour[:-3] != (last_hour or "")[:-3]:
                ctx.io.line(hour)
            last_hour = hour
            ctx.io.line(f"  {utc(timestamp, '%H:%M:%S.%f')}: {text}")
    ctx.io.line("TRACE:")
    for line in timings:
        ctx.io.line(line)


async def _samples(
    backend: MetricBackend, series: Series, range_: DateRange, source: MetricType
) -> list[tuple[int, str]]:
    """Each sample's timestamp and upstream's text of it."""
    if source is MetricType.POINTS:
        points = await failing_as(backend, backend.fetch(series, range_))
        return [(p.timestamp, point_text(p.timestamp, p.value)) for p in points]
    if not isinstance(backend, DistributionStore):
        raise TaskFailedError(
            f"backend {backend.id} ({type(backend).__name__}) stores no distribution points"
        )
    found = await failing_as(backend, backend.fetch_distributions(series, range_))
    return [
        (t, f"DistributionPoint(timestamp={t}, value={base64.b64encode(p).decode()})")
        for t, p in found
    ]


def _write_arguments(parser: TaskParser) -> None:
    parser.add_argument("-s", "--series", metavar="<json>", help="series to write to")
    parser.add_argument("-g", "--group", metavar="<group>", help="backend group to use")
    parser.add_argument(
        "-p",
        "--point",
        action="append",
        default=[],
        metavar="<time>=<value>",
        help="a point (repeatable; a time before now with '=': -p=-60000=1.5)",
    )


@task("write", "write a single, or a set of points", _write_arguments)
async def write(ctx: ShellContext, args: argparse.Namespace) -> None:
    series = parse_series(args.series)
    points = parse_points(args.point, _now())
    ctx.io.line(f"series: {series_text(series)}")
    if not points:
        return
    ctx.io.line(f"Writing {len(points)} point(s):")
    for i, (timestamp, value) in enumerate(points):
        ctx.io.line(f"{i}: {point_text(timestamp, value)}")
    body = {
        "series": series.to_json(),
        "data": {"type": MetricType.POINTS.value, "data": [list(p) for p in points]},
    }
    times = await ingest(ctx, body, args.group)
    ctx.io.line(f"metrics: Wrote {len(times)}")
    for i, took in enumerate(times):
        ctx.io.line(f"  #{i:03d} {format_nanos(took)}")


def write_service(ctx: ShellContext, backends: Backends) -> WriteService:
    """``POST /write``'s service over the shell's backends and ``ingestion`` settings."""
    from heroic_api.services.write import WriteService  # noqa: PLC0415 - heavy, on use
    from heroic_api.settings import settings_from_config  # noqa: PLC0415

    ingestion = settings_from_config(ctx.config).ingestion
    return WriteService(ingestion, backends, asyncio.Semaphore(ingestion.max_concurrent_writes))


@contextmanager
def write_failures() -> Iterator[None]:
    """A failed backend write as a task failure (``BackendCallError`` is no ``HeroicError``:
    the API maps it to a 5xx)."""
    from heroic_api.errors import BackendCallError  # noqa: PLC0415

    try:
        yield
    except BackendCallError as exc:
        raise TaskFailedError(str(exc)) from exc


async def ingest(ctx: ShellContext, body: dict[str, Any], group: str | None) -> list[int]:
    """``POST /write``'s path for ``body``: the time of each backend write, in ns."""
    service = write_service(ctx, await ctx.backends())
    with write_failures():
        result = await service.write(body, group)
    return [int(t) for t in result["times"]]
