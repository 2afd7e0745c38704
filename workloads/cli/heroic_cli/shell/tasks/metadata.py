"""Upstream's metadata tasks over the metadata backends of a group: ``metadata-count``,
``-delete`` (lists what it would delete unless ``--ok``), ``-entries``, ``-fetch``,
``-find-series``, ``-find-series-ids``, ``-tags`` and ``-write``; importing this module also
registers the long ones, ``metadata-load`` and ``metadata-migrate``. Each backend of the group
answers; results merge as the HTTP API merges them (``heroic_core.backends.reduce``)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable

from heroic_cli.shell.context import ShellContext, failing_as
from heroic_cli.shell.errors import TaskFailedError
from heroic_cli.shell.tasks import metadata_load, metadata_migrate
from heroic_cli.shell.tasks.base import TaskParser, task
from heroic_cli.shell.tasks.metadata_query import (
    Query,
    add_group,
    add_limit,
    add_query,
    each,
    ids,
    ingestion_filter,
    now_ms,
    parse_series,
    query_arguments,
    select,
)
from heroic_cli.shell.tasks.series_text import analytics, dsl, json_text
from heroic_core.backends import reduce
from heroic_core.backends.base import MetadataBackend
from heroic_core.backends.results import FindSeries
from heroic_core.model import DateRange, Series

__all__ = ["metadata_load", "metadata_migrate"]


async def _metadata(ctx: ShellContext, group: str | None) -> tuple[MetadataBackend, ...]:
    return select((await ctx.backends()).metadata, "metadata", group)


async def _find(ctx: ShellContext, args: argparse.Namespace) -> FindSeries:
    q = Query.of(args)
    backends = await _metadata(ctx, args.group)
    found = await each(backends, lambda b: b.find_series(q.filter, q.range, q.limit))
    return reduce.find_series(found, q.limit)


@task("metadata-count", "count the series matching a filter", query_arguments)
async def metadata_count(ctx: ShellContext, args: argparse.Namespace) -> None:
    q = Query.of(args)
    backends = await _metadata(ctx, args.group)
    counted = reduce.count_series(
        await each(backends, lambda b: b.count_series(q.filter, q.range, q.limit))
    )
    total, limited = counted.count, counted.limited
    if q.limit is not None and total > q.limit:
        total, limited = q.limit, True
    ctx.io.line(f"Found {total} serie(s)" + (" (limited)" if limited else ""))


def _delete_arguments(parser: TaskParser) -> None:
    add_group(parser)
    parser.add_argument("--ok", action="store_true", help="delete (without: list what would go)")
    add_limit(parser, "delete at most this many series per backend (the backend picks which)")
    add_query(parser)


@task(
    "metadata-delete",
    "delete the series matching a filter (lists them unless --ok)",
    _delete_arguments,
)
async def metadata_delete(ctx: ShellContext, args: argparse.Namespace) -> None:
    if not args.ok:
        found = await _find(ctx, args)
        ctx.io.line(f"Deleting {len(found.series)} entrie(s)")
        for series in found.series:
            ctx.io.line(dsl(series))
        ctx.io.line("Deletion stopped, use --ok to proceed")
        return
    q = Query.of(args)
    backends = await _metadata(ctx, args.group)
    counted = reduce.count_series(
        await each(backends, lambda b: b.count_series(q.filter, q.range, q.limit))
    )
    ctx.io.line(f"Deleting {counted.count} entrie(s)")
    done: list[str] = []
    for backend in backends:
        try:
            deleted = await failing_as(backend, backend.delete_series(q.filter, q.range, q.limit))
        except TaskFailedError as exc:
            raise TaskFailedError(f"{exc}; {_deleted_so_far(done)}") from exc
        except (asyncio.CancelledError, KeyboardInterrupt):
            ctx.io.note(
                f"interrupted while deleting from {backend.id}, which may have deleted part of "
                f"the matching series; {_deleted_so_far(done)}; run the task again to finish"
            )
            raise
        done.append(f"{deleted} from {backend.id}")
        ctx.io.line(f"Deleted {deleted} serie(s) from {backend.id}")


def _deleted_so_far(done: list[str]) -> str:
    return "already deleted: " + (", ".join(done) if done else "nothing")


def _entries_arguments(parser: TaskParser) -> None:
    query_arguments(parser)
    parser.add_argument(
        "--analytics", action="store_true", help="print in the analytics schema (id, series)"
    )


@task("metadata-entries", "print the series matching a filter, as JSON", _entries_arguments)
async def metadata_entries(ctx: ShellContext, args: argparse.Namespace) -> None:
    for series in (await _find(ctx, args)).series:
        ctx.io.json(analytics(series) if args.analytics else series.to_json())


@task("metadata-fetch", "print the series matching a filter, numbered", query_arguments)
async def metadata_fetch(ctx: ShellContext, args: argparse.Namespace) -> None:
    for i, series in enumerate((await _find(ctx, args)).series):
        ctx.io.line(f"{i}: {json_text(series.to_json())}")


FORMATS: dict[str, Callable[[Series], str]] = {
    "dsl": dsl,
    "json": lambda s: json_text(s.to_json()),
    "analytics": lambda s: json_text(analytics(s)),
}


def _find_series_arguments(parser: TaskParser) -> None:
    query_arguments(parser)
    parser.add_argument(
        "-F", "--format", choices=sorted(FORMATS), default="dsl", help="output format (dsl)"
    )


@task("metadata-find-series", "find the series matching a filter", _find_series_arguments)
async def metadata_find_series(ctx: ShellContext, args: argparse.Namespace) -> None:
    show = FORMATS[args.format]
    for series in (await _find(ctx, args)).series:
        ctx.io.line(show(series))


@task("metadata-find-series-ids", "print the ids of the series matching a filter", query_arguments)
async def metadata_find_series_ids(ctx: ShellContext, args: argparse.Namespace) -> None:
    for series in (await _find(ctx, args)).series:
        ctx.io.line(series.id)


@task("metadata-tags", "print the tags (and their values) of matching series", query_arguments)
async def metadata_tags(ctx: ShellContext, args: argparse.Namespace) -> None:
    q = Query.of(args)
    backends = await _metadata(ctx, args.group)
    tags = await each(backends, lambda b: b.find_tags(q.filter, q.range, q.limit))
    ctx.io.json(reduce.find_tags(tags, q.limit).to_json())


def _write_arguments(parser: TaskParser) -> None:
    parser.add_argument(
        "-s", "--series", required=True, metavar="<json>", help='{"key": .., "tags": {..}}'
    )
    add_group(parser)


@task("metadata-write", "index one series in the metadata backends", _write_arguments)
async def metadata_write(ctx: ShellContext, args: argparse.Namespace) -> int:
    series = parse_series(args.series, "--series")
    only = ingestion_filter(ctx.config)
    if only is not None and not only.matches(series):
        ctx.io.line(
            f"Not written: {dsl(series)} does not match ingestion.filter "
            f"({ctx.config.ingestion.filter})"
        )
        return 0
    backends = await _metadata(ctx, args.group)
    now = now_ms()
    written: list[str] = []
    for backend in backends:
        try:
            await failing_as(backend, backend.write(series, DateRange(now, now)))
        except TaskFailedError as exc:
            raise TaskFailedError(f"{exc}; written to: {', '.join(written) or 'none'}") from exc
        written.append(backend.id)
    ctx.io.line(f"Wrote {dsl(series)} (id {series.id}) to {ids(backends)}")
    return 0
