"""Generated load and timings: ``load-generated`` (generated series and points written through
the node's ingestion), ``write-performance`` (points of the ``generated`` series read from one
group and written again and again to others, with upstream's timing summary) and
``read-write-test`` (write and read back a file, as upstream).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

from heroic_cli.shell.context import ShellContext, failing_as
from heroic_cli.shell.errors import TaskFailedError, UsageError
from heroic_cli.shell.tasks.base import TaskParser, task
from heroic_cli.shell.tasks.data import write_failures, write_service
from heroic_cli.shell.tasks.generators import GENERATORS, generated_series
from heroic_cli.shell.tasks.inputs import counting, series_text
from heroic_cli.shell.tasks.keyargs import metric_backends
from heroic_core.backends.base import MetricBackend
from heroic_core.config.common import Duration
from heroic_core.model import DateRange, Points, Series

#: Series written per request by ``load-generated``.
BATCH = 10


def _duration(text: str) -> Duration:
    try:
        return Duration.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _load_arguments(parser: TaskParser) -> None:
    parser.add_argument("-g", "--group", metavar="<group>", help="backend group to use")
    parser.add_argument(
        "-c", "--count", type=int, default=100, help="the number of series (default: 100)"
    )
    parser.add_argument(
        "--generator",
        action="append",
        choices=sorted(GENERATORS),
        help="generator to use (repeatable; default: sine)",
    )
    parser.add_argument("-d", type=_duration, default=Duration(7, "d"), help="duration (7d)")
    parser.add_argument(
        "--skip", type=int, default=0, metavar="<n>", help="skip the first n series (resume)"
    )


@task("load-generated", "load generated metrics into backends", _load_arguments)
async def load_generated(ctx: ShellContext, args: argparse.Namespace) -> None:
    if args.count < 0 or not 0 <= args.skip <= args.count:
        raise UsageError("-c/--count must not be negative and --skip must be 0..count")
    generators = [GENERATORS[name] for name in args.generator or ["sine"]]
    now = time.time_ns() // 1_000_000
    range_ = DateRange(max(now - args.d.millis, 0), now)
    service = write_service(ctx, await ctx.backends())
    rng = random.Random()  # noqa: S311 - test data
    done = args.skip
    try:
        with counting(ctx, "series written", args.count - args.skip, at_least=1) as advance:
            for first in range(args.skip, args.count, BATCH):
                batch = [generated_series(i) for i in range(first, min(first + BATCH, args.count))]
                items = [(s, _merged([g(s, range_, rng) for g in generators])) for s in batch]
                with write_failures():
                    await service.write_many(items, args.group)
                for series in batch:
                    ctx.io.line(f"Wrote: {series_text(series)}")
                    advance()
                done += len(batch)
    except (asyncio.CancelledError, TaskFailedError):
        ctx.io.line(
            f"Stopped after {done - args.skip} of {args.count - args.skip} series; to resume, "
            f"run the same command with --skip {done} (series after it may be partly written)"
        )
        raise


def _merged(parts: list[Points]) -> Points:
    if len(parts) == 1:
        return parts[0]
    return Points.of([(p.timestamp, p.value) for part in parts for p in part])


def _performance_arguments(parser: TaskParser) -> None:
    parser.add_ignored("--limit", why="every generated point is written", type=int)
    parser.add_argument("--series", type=int, default=10, help="number of series to write")
    parser.add_argument("--from", dest="source", required=True, help="group to read data from")
    parser.add_argument(
        "--target", action="append", default=[], metavar="<group>", help="group to write to"
    )
    parser.add_argument("--history", type=int, default=3600, help="seconds of data to copy")
    parser.add_argument("--writes", type=int, default=10, help="writes of each series a step")
    parser.add_argument("--parallelism", type=int, default=100, help="requests at once")
    parser.add_argument("--warmup", type=int, default=4, help="warm-up steps")
    parser.add_argument("--loop", type=int, default=8, help="measured steps")


@dataclass
class Times:
    """Per write: ms from the step's start to its end; per backend write: ns it took."""

    runtimes: list[int] = field(default_factory=list)
    executions: list[int] = field(default_factory=list)
    errors: int = 0


@task("write-performance", "perform write performance testing", _performance_arguments)
async def write_performance(ctx: ShellContext, args: argparse.Namespace) -> None:
    if not args.target:
        raise UsageError("'targets' is empty, add some with --target")
    if min(args.series, args.writes, args.parallelism, args.history) < 1:
        raise UsageError("--series, --writes, --parallelism and --history must be at least 1")
    targets = [await metric_backends(ctx, group) for group in args.target]
    requests = await _read(ctx, args)
    total = sum(len(points) for _, points in requests) * args.writes
    if total == 0:
        raise TaskFailedError(
            f"no points of the {args.series} 'generated' series in group {args.source} over "
            f"the last {args.history} s: write some there first"
        )
    measured = Times()
    runtimes: list[float] = []
    steps = [("Warmup", i, args.warmup) for i in range(args.warmup)]
    steps += [("Running", i, args.loop) for i in range(args.loop)]
    try:
        for kind, i, count in steps:
            ctx.io.line(f"{kind} step {i + 1}/{count}")
            started = time.monotonic()
            times = await _step(ctx, targets, requests, args)
            if kind == "Running":
                runtimes.append(time.monotonic() - started)
                measured.runtimes += times.runtimes
                measured.executions += times.executions
                measured.errors += times.errors
    except asyncio.CancelledError:
        ctx.io.line(f"Interrupted after {len(runtimes)} measured step(s); run it again")
        raise
    ctx.io.line(f"Failed: {measured.errors} write(s)")
    ctx.io.line("Times: " + " ".join(f"{r:.2f}" for r in runtimes))
    ctx.io.line("Write/s: " + " ".join(f"{total / max(r, 1e-9):.2f}" for r in runtimes))
    ctx.io.line()
    _histogram(ctx, "Batch Times", measured.runtimes, 1)
    ctx.io.line()
    _histogram(ctx, "Individual Times", measured.executions, 1_000_000)


async def _read(ctx: ShellContext, args: argparse.Namespace) -> list[tuple[Series, Points]]:
    """Points of the ``generated`` series from every backend of ``--from``."""
    now = time.time_ns() // 1_000_000
    range_ = DateRange(now - args.history * 1000, now)
    found: list[tuple[Series, Points]] = []
    for backend in await metric_backends(ctx, args.source):
        for i in range(args.series):
            series = Series("generated", {"type": "generated", "generated-id": str(i)})
            found.append((series, await failing_as(backend, backend.fetch(series, range_))))
    return found


async def _step(
    ctx: ShellContext,
    targets: list[tuple[MetricBackend, ...]],
    requests: list[tuple[Series, Points]],
    args: argparse.Namespace,
) -> Times:
    """Every request ``--writes`` times, to the target groups in turn."""
    times = Times()
    slots = asyncio.Semaphore(args.parallelism)
    started = time.monotonic()
    plan = [(n, s, p) for n in range(args.writes) for s, p in requests]

    with counting(ctx, "writes", len(plan), at_least=1) as advance:

        async def one(n: int, series: Series, points: Points) -> None:
            group = targets[n % len(targets)]
            async with slots:
                try:
                    for backend in group:
                        began = time.perf_counter_ns()
                        await failing_as(backend, backend.write(series, points))
                        times.executions.append(time.perf_counter_ns() - began)
                    times.runtimes.append(int((time.monotonic() - started) * 1000))
                except TaskFailedError as exc:
                    times.errors += 1
                    ctx.io.note(f"write failed: {exc}")
                advance()

        await asyncio.gather(*(one(i, s, p) for i, (_, s, p) in enumerate(plan)))
    return times


def _histogram(ctx: ShellContext, title: str, values: list[int], per_ms: int) -> None:
    """Upstream's summary: count, average and percentiles, in ms."""
    if not values:
        ctx.io.line(f"{title}: (no samples)")
        return
    ordered = sorted(values)
    ctx.io.line(f"{title}:")
    ctx.io.line(f" total: {len(ordered)} write(s)")
    ctx.io.line(f"   avg: {sum(ordered) // len(ordered) // per_ms} ms")
    for label, q in (("10th", 0.1), ("50th", 0.5), ("75th", 0.75), ("90th", 0.9), ("99th", 0.99)):
        ctx.io.line(f"  {label}: {ordered[int(q * len(ordered))] // per_ms} ms")


def _read_write_arguments(parser: TaskParser) -> None:
    parser.add_argument("-f", "--file", required=True, metavar="<file>", help="file to test with")


@task("read-write-test", "test to read and write a file", _read_write_arguments)
async def read_write_test(ctx: ShellContext, args: argparse.Namespace) -> None:
    path = Path(args.file)
    try:
        await asyncio.to_thread(path.write_text, "Hello World\n", encoding="utf-8")
        text = await asyncio.to_thread(path.read_text, encoding="utf-8")
    except OSError as exc:
        raise TaskFailedError(f"{path}: {exc.strerror}") from None
    ctx.io.line(text.splitlines()[0] if text else "")
