"""``data-migrate``: copy the points of every row key (in a key range, of series matching a
filter, in a time range) from the one metric backend of ``--from`` to every metric backend of
``--to``, with a progress bar (keys, series, points, rate, ETA).

Keys are listed in the source's key order and copied ``--parallelism`` at a time. Stopped by a
failure or Ctrl-C, it waits for the copies in flight to end (or cancels them), prints what was
copied and the ``--start`` (or, for Cassandra, ``--start-token``) that resumes at the first key
not known to be copied; copying a key again rewrites the same points. It reads the source only:
it never deletes or rewrites anything there.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field

from heroic_cli.shell.context import ShellContext, failing_as
from heroic_cli.shell.errors import TaskFailedError, UsageError
from heroic_cli.shell.tasks.base import TaskParser, task
from heroic_cli.shell.tasks.inputs import parse_instant
from heroic_cli.shell.tasks.keyargs import (
    NO_KEYS,
    key_range,
    key_text,
    keyspace_arguments,
    scanned,
)
from heroic_core.backends.base import BackendKey, KeyRange, KeyScanner, MetricBackend
from heroic_core.errors import HeroicError
from heroic_core.filters import TRUE, Filter
from heroic_core.model import DateRange

#: Until the end of time: Java's ``Long.MAX_VALUE`` ms.
END_OF_TIME = 2**63 - 1


def _arguments(parser: TaskParser) -> None:
    parser.add_argument("-f", "--from", dest="source", metavar="<group>", help="group to read")
    parser.add_argument("-t", "--to", dest="target", metavar="<group>", help="group to write")
    keyspace_arguments(parser)
    parser.add_argument("--resume-from", dest="start", metavar="<json>", help="same as --start")
    parser.add_argument("--start-time", metavar="<datetime>", help="copy points after this")
    parser.add_argument("--end-time", metavar="<datetime>", help="copy points up to this")
    parser.add_ignored(
        "--page-limit", why="keys are read a page at a time by the backend", type=int
    )
    parser.add_argument(
        "--parallelism",
        type=int,
        default=(os.cpu_count() or 1) * 4,
        metavar="<number>",
        help="keys copied at once (default: 4 per core)",
    )
    parser.add_argument("query", nargs="*", help="a filter (HQL) on the series to copy")


@dataclass
class Copied:
    """What a run copied, and where a new run should start."""

    keys: int = 0
    points: int = 0
    skipped: int = 0
    unreadable: int = 0
    series: set[str] = field(default_factory=set)
    #: Keys started and not finished, in key order (a dict keeps insertion order).
    pending: dict[BackendKey, None] = field(default_factory=dict)
    last: BackendKey | None = None
    failure: str | None = None

    def resume_at(self) -> BackendKey | None:
        """The first key not known to be copied (every key before it was)."""
        return next(iter(self.pending), None) or self.last


@task("data-migrate", "migrate data from one backend to another", _arguments)
async def data_migrate(ctx: ShellContext, args: argparse.Namespace) -> None:
    if args.parallelism < 1:
        raise UsageError(f"--parallelism must be at least 1, got {args.parallelism}")
    bounds = key_range(args)
    window = _window(args)
    series_filter = _filter(args.query)
    source, targets = await _ends(ctx, args.source, args.target)
    copied = Copied()
    started = time.monotonic()
    try:
        total = await _count(ctx, source, bounds)
        ctx.io.note(f"copying {total} keys from {source.id} to {_ids(targets)}")
        with ctx.io.progress("0 series, 0 points", total) as bar:
            task_id = bar.task_ids[0]

            def advance() -> None:
                done = f"{len(copied.series)} series, {copied.points} points"
                bar.update(task_id, advance=1, description=done)

            copier = Copier(
                source, targets, window, series_filter, args.parallelism, copied, advance
            )
            await copier.run(bounds)
    except asyncio.CancelledError:
        _report(ctx, copied, source, targets, "Interrupted")
        raise
    if copied.failure is not None:
        _report(ctx, copied, source, targets, "Failed")
        raise TaskFailedError(copied.failure)
    _report(ctx, copied, source, targets, f"Done in {time.monotonic() - started:.1f} s")


def _window(args: argparse.Namespace) -> DateRange:
    now = time.time_ns() // 1_000_000
    start = parse_instant(args.start_time, now, "--start-time") if args.start_time else -1
    end = parse_instant(args.end_time, now, "--end-time") if args.end_time else END_OF_TIME
    if start > end:
        raise UsageError(f"--start-time ({start}) is after --end-time ({end})")
    return DateRange(start, end)


def _filter(query: Sequence[str]) -> Filter:
    if not query:
        return TRUE
    from heroic_core.hql import parse_filter  # noqa: PLC0415 - the parser loads on use

    try:
        return parse_filter(" ".join(query))
    except HeroicError as exc:
        raise UsageError(f"filter: {exc}") from None


async def _ends(
    ctx: ShellContext, source_group: str | None, target_group: str | None
) -> tuple[KeyScanner, tuple[MetricBackend, ...]]:
    """The one source (it must list its keys) and the targets, which must not include it."""
    metrics = (await ctx.backends()).metrics
    sources, targets = metrics.use(source_group), metrics.use(target_group)
    if len(sources) != 1:
        names = ", ".join(b.id for b in sources) or "none"
        raise UsageError(f"-f/--from must select one metric backend, it selects: {names}")
    source = sources[0]
    if not isinstance(source, KeyScanner):
        raise TaskFailedError(f"backend {source.id} ({type(source).__name__}) {NO_KEYS}")
    if not targets:
        raise UsageError(f"-t/--to selects no metric backend (group {target_group!r})")
    if source in targets:
        raise UsageError(f"-t/--to includes the source backend {source.id}; pick another group")
    return source, targets


async def _count(ctx: ShellContext, source: KeyScanner, bounds: KeyRange) -> int:
    """How many keys the copy will go through (for the bar's ETA)."""
    found = 0
    with ctx.io.progress(f"counting keys of {source.id}") as bar:
        async for _ in scanned(source, bounds):
            found += 1
            bar.advance(bar.task_ids[0])
    return found


@dataclass
class Copier:
    """Copies the keys of one scan, ``parallelism`` at a time, into ``copied``."""

    source: KeyScanner
    targets: Sequence[MetricBackend]
    window: DateRange
    series_filter: Filter
    parallelism: int
    copied: Copied
    advance: Callable[[], None]

    async def run(self, bounds: KeyRange) -> None:
        """Copy every key of ``bounds``; stop at the first failure (in ``copied.failure``).
        Cancelled, the copies in flight are cancelled before the cancellation goes on."""
        slots = asyncio.Semaphore(self.parallelism)
        running: set[asyncio.Task[None]] = set()
        copied = self.copied
        try:
            async with aclosing(scanned(self.source, bounds)) as keys:
                async for key in keys:
                    if copied.failure is not None:
                        break
                    if not isinstance(key, BackendKey):
                        copied.unreadable += 1
                        self.advance()
                        continue
                    copied.last = key
                    if not self.series_filter.matches(key.series):
                        copied.skipped += 1
                        self.advance()
                        continue
                    await slots.acquire()
                    if copied.failure is not None:  # a copy failed while we waited
                        slots.release()
                        break
                    copied.pending[key] = None
                    running = {t for t in running if not t.done()}
                    running.add(asyncio.create_task(self._one(key, slots)))
        except TaskFailedError as exc:  # listing the keys failed
            copied.failure = str(exc)
        except asyncio.CancelledError:
            for copying in running:
                copying.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise
        await asyncio.gather(*running)

    async def _one(self, key: BackendKey, slots: asyncio.Semaphore) -> None:
        copied = self.copied
        try:
            points = await failing_as(self.source, self.source.fetch_key(key, self.window))
            if len(points):
                await asyncio.gather(
                    *(failing_as(t, t.write(key.series, points)) for t in self.targets)
                )
        except TaskFailedError as exc:
            if copied.failure is None:
                copied.failure = f"copying key {key_text(key)}: {exc}"
            return
        finally:
            slots.release()
        del copied.pending[key]
        copied.keys += 1
        copied.points += len(points)
        copied.series.add(key.series.id)
        self.advance()


def _ids(backends: Sequence[MetricBackend]) -> str:
    return ", ".join(b.id for b in backends)


def _report(
    ctx: ShellContext,
    copied: Copied,
    source: MetricBackend,
    targets: Sequence[MetricBackend],
    how: str,
) -> None:
    ctx.io.line(
        f"{how}: copied {len(copied.series)} series ({copied.keys} keys, {copied.points} points)"
        f" from {source.id} to {_ids(targets)}"
    )
    if copied.skipped or copied.unreadable:
        ctx.io.line(
            f"Skipped {copied.skipped} keys not matching the filter, "
            f"{copied.unreadable} unreadable keys"
        )
    if how.startswith("Done"):
        return
    if copied.pending:
        ctx.io.line(
            f"{len(copied.pending)} key(s) failed or were stopped half-way; their points may "
            "be partly written (copying them again rewrites the same points)"
        )
    resume = copied.resume_at()
    if resume is None:
        ctx.io.line("Nothing was copied: run the same command again")
    elif resume.token is not None:
        ctx.io.line(
            "To resume, run the same command with --start-token "
            f"{resume.token} (instead of any --start, --start-token or --start-percentage)"
        )
    else:
        ctx.io.line(
            f"To resume, run the same command with --start '{key_text(resume)}' "
            "(instead of any --start)"
        )
