"""``metadata-load``: index the series of a file of JSON lines (``.gz``: gzip) into the metadata
and suggest backends of a group, in bulk batches, optionally rate-limited (upstream loaded the
suggest backends only). A progress bar counts lines; after a failure or Ctrl-C the task says
which lines are loaded and the command that resumes after them (indexing is idempotent, so a
batch that was cut off may simply be sent again). Bad lines are reported and skipped; series
the ``ingestion.filter`` rejects are counted. Never deletes anything."""

from __future__ import annotations

import argparse
import asyncio
import gzip
import shlex
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from heroic_cli.shell.context import ShellContext
from heroic_cli.shell.errors import TaskFailedError, UsageError, unknown
from heroic_cli.shell.tasks.base import TaskParser, task
from heroic_cli.shell.tasks.metadata_query import count, ids, index, ingestion_filter, now_ms
from heroic_core.backends.base import MetadataBackend, SuggestBackend
from heroic_core.filters import Filter
from heroic_core.model import DateRange, Series

#: Series per bulk request (the API's and the consumer's batch size).
BATCH = 500


def _first_line(text: str) -> int:
    value = count(text)
    if value < 1:
        raise argparse.ArgumentTypeError("lines are numbered from 1")
    return value


def _arguments(parser: TaskParser) -> None:
    parser.add_argument(
        "-t", "--target", metavar="<group>", help="group to load into (default: default backends)"
    )
    parser.add_argument(
        "-f", dest="file", type=Path, required=True, metavar="<file>",
        help="JSON lines, one series each ({\"key\": .., \"tags\": ..}); .gz files are gunzipped",
    )  # fmt: skip
    parser.add_argument(
        "-r", dest="rate", type=count, default=0, metavar="<int>",
        help="at most this many series per second (0: no limit)",
    )  # fmt: skip
    parser.add_argument(
        "--resume-from", type=_first_line, default=1, metavar="<line>",
        help="start at this line (an interrupted load prints it)",
    )  # fmt: skip


@dataclass
class _Tally:
    """How far the load got: ``loaded_to`` is the last line whose series are all indexed."""

    loaded_to: int
    written: int = 0
    bad: int = 0
    filtered: int = 0
    batch: list[Series] = field(default_factory=list)


@contextmanager
def _lines(path: Path) -> Iterator[Iterable[bytes]]:
    try:
        with gzip.open(path) if path.suffix == ".gz" else path.open("rb") as stream:
            yield stream
    except FileNotFoundError:
        raise UsageError(f"-f {path}: no such file") from None
    except (OSError, EOFError) as exc:
        raise TaskFailedError(f"reading {path}: {exc}") from None


def _total_lines(path: Path) -> int:
    with _lines(path) as stream:
        return sum(1 for _ in stream)


def _targets(
    ctx: ShellContext, metadata: tuple[MetadataBackend, ...], suggest: tuple[SuggestBackend, ...]
) -> tuple[MetadataBackend | SuggestBackend, ...]:
    if not metadata and not suggest:
        raise TaskFailedError("no metadata or suggest backend is configured (try -P memory)")
    ctx.io.line(f"  to (metadata): {ids(metadata) or 'none'}")
    ctx.io.line(f"  to (suggest): {ids(suggest) or 'none'}")
    return (*metadata, *suggest)


def resume_command(args: argparse.Namespace, line: int) -> str:
    argv = ["metadata-load", "-f", str(args.file)]
    if args.target:
        argv += ["-t", args.target]
    if args.rate:
        argv += ["-r", str(args.rate)]
    return shlex.join([*argv, "--resume-from", str(line)])


@task("metadata-load", "index the series of a file (JSON lines) into a group", _arguments)
async def metadata_load(ctx: ShellContext, args: argparse.Namespace) -> None:
    if not args.file.is_file():
        raise UsageError(f"-f {args.file}: no such file")
    only = ingestion_filter(ctx.config)
    backends = await ctx.backends()
    names = backends.metadata.names() | backends.suggest.names()
    if args.target is not None and args.target not in names:
        raise unknown("metadata or suggest group", args.target, names)
    ctx.io.line("Loading metadata:")
    ctx.io.line(f"  from (file): {args.file}")
    targets = _targets(ctx, backends.metadata.use(args.target), backends.suggest.use(args.target))
    ctx.io.line(f"  rate-limit: {f'{args.rate}/s' if args.rate else 'disabled'}")
    if args.resume_from > 1:
        ctx.io.line(f"  resuming at line: {args.resume_from}")
    total = max(_total_lines(args.file) - args.resume_from + 1, 0)
    tally = _Tally(loaded_to=args.resume_from - 1)
    with ctx.io.progress("loading", total) as bar:
        try:
            await _load(
                ctx,
                args=args,
                targets=targets,
                only=only,
                tally=tally,
                advance=lambda n: bar.advance(bar.task_ids[0], n),
            )
        except TaskFailedError as exc:
            raise TaskFailedError(f"{exc}; {_so_far(args, tally)}") from exc
        except (asyncio.CancelledError, KeyboardInterrupt):
            ctx.io.note(f"interrupted; {_so_far(args, tally)}")
            raise
    ctx.io.line(f"Written: {tally.written} series")
    ctx.io.line(f"Bad lines: {tally.bad}")
    if only is not None:
        ctx.io.line(f"Not matching ingestion.filter: {tally.filtered}")


def _so_far(args: argparse.Namespace, tally: _Tally) -> str:
    return (
        f"lines up to {tally.loaded_to} are loaded ({tally.written} series written); resume "
        f"with: {resume_command(args, tally.loaded_to + 1)}"
    )


async def _load(
    ctx: ShellContext,
    *,
    args: argparse.Namespace,
    targets: tuple[MetadataBackend | SuggestBackend, ...],
    only: Filter | None,
    tally: _Tally,
    advance: Callable[[int], object],
) -> None:
    now = now_ms()
    seen = DateRange(now, now)
    size = min(BATCH, args.rate) if args.rate else BATCH
    started, written_at_start = time.monotonic(), tally.written

    async def flush(line: int) -> None:
        if tally.batch:
            await index(targets, [(s, seen) for s in tally.batch])
            tally.written += len(tally.batch)
            tally.batch.clear()
        advance(line - tally.loaded_to)
        tally.loaded_to = line
        if args.rate:  # pace to the rate over the whole run, so short stalls are caught up
            due = started + (tally.written - written_at_start) / args.rate
            await asyncio.sleep(max(due - time.monotonic(), 0))

    with _lines(args.file) as stream:
        line = 0
        for line, raw in enumerate(stream, 1):
            if line < args.resume_from:
                continue
            series = _decode(ctx, line, raw, tally)
            if series is not None and only is not None and not only.matches(series):
                tally.filtered += 1
            elif series is not None:
                tally.batch.append(series)
            if len(tally.batch) >= size:
                await flush(line)
        await flush(max(line, tally.loaded_to))


def _decode(ctx: ShellContext, line: int, raw: bytes, tally: _Tally) -> Series | None:
    if not raw.strip():
        return None
    try:
        return Series.from_json(orjson.loads(raw))
    except (ValueError, TypeError) as exc:
        tally.bad += 1
        ctx.io.note(f"line {line}: not a series ({exc}); skipped")
        return None
