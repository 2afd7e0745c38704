"""``metadata-migrate``: copy the series matching a filter from the metadata backends of one
group (``-g``) to those of another (``-t``), as upstream's task; without ``--ok`` it only counts.
The source is only read, never changed. Series go over page by page of series keys, in key
order, so that a failed or interrupted migration names the first key not fully copied and the
command that resumes there (copying a series again is harmless). The progress bar counts keys;
its label counts series."""

from __future__ import annotations

import argparse
import asyncio
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from heroic_cli.shell.context import ShellContext
from heroic_cli.shell.errors import TaskFailedError, UsageError
from heroic_cli.shell.tasks.base import TaskParser, task
from heroic_cli.shell.tasks.metadata_query import (
    Query,
    add_limit,
    add_query,
    each,
    ids,
    index,
    select,
)
from heroic_core.backends import reduce
from heroic_core.backends.base import MetadataBackend
from heroic_core.filters import TRUE, And, Filter, MatchKey, Or
from heroic_core.model import Series

#: Series keys per page: one find request per page, one bulk write per target and page.
KEYS_PER_PAGE = 100


def _arguments(parser: TaskParser) -> None:
    parser.add_argument(
        "-g", "--group", required=True, metavar="<metadata-group>",
        help="group to migrate from (only read)",
    )  # fmt: skip
    parser.add_argument(
        "-t", "--target", required=True, metavar="<metadata-group>", help="group to migrate to"
    )
    parser.add_argument("--ok", action="store_true", help="copy (without: only count)")
    add_limit(parser, "copy at most this many series")
    parser.add_argument(
        "--resume-from", metavar="<key>", help="start at this key (an interrupted run says which)"
    )
    add_query(parser)


@dataclass
class _Done:
    """How far the copy got: every key before ``next_key`` is copied (None: all of them)."""

    next_key: str | None
    copied: int = 0


@task("metadata-migrate", "copy the series matching a filter to another metadata group",
      _arguments)  # fmt: skip
async def metadata_migrate(ctx: ShellContext, args: argparse.Namespace) -> None:
    q = Query.of(args)
    group = (await ctx.backends()).metadata
    sources = select(group, "metadata", args.group)
    targets = select(group, "metadata", args.target)
    shared = [b.id for b in sources if b in targets]
    if shared:
        raise UsageError(
            f"groups {args.group!r} and {args.target!r} share {', '.join(shared)}: "
            "a migration copies between different backends"
        )
    ctx.io.line("Migrating:")
    ctx.io.line(f"  from: {args.group} ({ids(sources)})")
    ctx.io.line(f"    to: {args.target} ({ids(targets)})")
    if args.resume_from is not None:
        ctx.io.line(f"  resuming at key: {args.resume_from}")
    counted = reduce.count_series(
        await each(sources, lambda b: b.count_series(q.filter, q.range, q.limit))
    )
    total = counted.count if q.limit is None else min(counted.count, q.limit)
    ctx.io.line(f"Migrating {total} entrie(s)")
    if not args.ok:
        ctx.io.line("Migration stopped, use --ok to proceed")
        return
    found = await each(sources, lambda b: b.find_keys(q.filter, q.range, None))
    keys = reduce.find_keys(found).keys
    if args.resume_from is not None:
        keys = tuple(k for k in keys if k >= args.resume_from)
    done = _Done(keys[0] if keys else None)
    with ctx.io.progress("copied 0 series", len(keys)) as bar:
        task_id = bar.task_ids[0]
        try:
            for start in range(0, len(keys), KEYS_PER_PAGE):
                page = keys[start : start + KEYS_PER_PAGE]
                if not await _copy_page(sources, targets, q, page, done):
                    break
                after = start + KEYS_PER_PAGE
                done.next_key = keys[after] if after < len(keys) else None
                bar.update(task_id, advance=len(page), description=f"copied {done.copied} series")
        except TaskFailedError as exc:
            raise TaskFailedError(f"{exc}; {_so_far(args, q, done)}") from exc
        except (asyncio.CancelledError, KeyboardInterrupt):
            ctx.io.note(f"interrupted; {_so_far(args, q, done)}")
            raise
    ctx.io.line(f"{done.copied}/{total} ended (nothing was deleted from {args.group})")


async def _copy_page(
    sources: Sequence[MetadataBackend],
    targets: Sequence[MetadataBackend],
    q: Query,
    page: Sequence[str],
    done: _Done,
) -> bool:
    """Copy the matching series of ``page``'s keys; False once ``--limit`` is reached."""
    room = None if q.limit is None else q.limit - done.copied
    if room == 0:
        return False
    within = _within(q.filter, page)
    found = await each(sources, lambda b: b.find_series(within, q.range, room))
    series: tuple[Series, ...] = reduce.find_series(found, room).series
    await index(targets, [(s, q.range) for s in series])
    done.copied += len(series)
    return True


def _within(filter: Filter, keys: Sequence[str]) -> Filter:
    by_key: Filter = MatchKey(keys[0]) if len(keys) == 1 else Or(tuple(map(MatchKey, keys)))
    return by_key if filter == TRUE else And((filter, by_key))


def _so_far(args: argparse.Namespace, q: Query, done: _Done) -> str:
    if done.next_key is None:
        return f"all {done.copied} series are copied"
    argv = ["metadata-migrate", "-g", args.group, "-t", args.target, "--ok"]
    if q.limit is not None:
        argv += ["--limit", str(q.limit - done.copied)]
    argv += ["--resume-from", done.next_key, *args.query]
    return (
        f"copied {done.copied} series, every key before {done.next_key!r}; resume with: "
        f"{shlex.join(argv)}"
    )
