"""Row-key tasks of the metric backends: ``keys``, ``count-data``, ``delete-keys`` (lists
only, unless ``--ok``), ``serialize-key`` and ``deserialize-key``, with upstream's options and
lines. Keys print as upstream's JSON (``{"series", "base", "type", "token"}``), which ``-k``,
``-f`` and ``--start`` read back. A backend that cannot do a task is named with the reason.
"""

from __future__ import annotations

import argparse
import asyncio
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from heroic_cli.shell.context import ShellContext, failing_as
from heroic_cli.shell.errors import TaskFailedError, UsageError
from heroic_cli.shell.tasks.base import TaskParser, task
from heroic_cli.shell.tasks.inputs import counting
from heroic_cli.shell.tasks.keyargs import (
    codecs,
    key_inputs,
    key_range,
    key_text,
    keyspace_arguments,
    metric_backends,
    parse_key,
    read_keys,
    scanned,
    scanners,
)
from heroic_core.backends.base import BackendKey, KeyCodec, UnreadableKey

#: Keys ``delete-keys`` shows without ``--ok`` (upstream's number).
EXAMPLES = 100


def _group(parser: TaskParser) -> None:
    parser.add_argument("-g", "--group", metavar="<group>", help="backend group to use")


def _keys_arguments(parser: TaskParser) -> None:
    _group(parser)
    keyspace_arguments(parser)


@task("keys", "list available metric keys for all backends", _keys_arguments)
async def keys(ctx: ShellContext, args: argparse.Namespace) -> None:
    listing = scanners(ctx, await metric_backends(ctx, args.group))
    bounds = key_range(args)
    failed = total = 0
    for scanner in listing:
        async for key in scanned(scanner, bounds):
            total += 1
            if isinstance(key, UnreadableKey):
                failed += 1
                ctx.io.note(f"unreadable key 0x{key.raw.hex()} in {scanner.id}: {key.reason}")
                continue
            ctx.io.json(key.to_json())
    ctx.io.line(f"Failed Keys: {failed}/{total}")


@dataclass
class Tally:
    """How a run over keys ended (upstream's ``Finished (resolved, failed, cancelled)``)."""

    resolved: int = 0
    failed: int = 0
    cancelled: int = 0

    def line(self) -> str:
        return (
            f"Finished (resolved: {self.resolved}, failed: {self.failed}, "
            f"cancelled: {self.cancelled})"
        )


def _per_key(parser: TaskParser, verb: str) -> None:
    key_inputs(parser, verb)
    _group(parser)
    parser.add_ignored("--tracing", why="key scans are not traced", action="store_true")
    parser.add_argument(
        "--parallelism", type=int, default=20, metavar="<number>", help="keys at once"
    )


async def _each(
    ctx: ShellContext,
    what: str,
    keys: Sequence[BackendKey],
    parallelism: int,
    work: Callable[[BackendKey], Awaitable[None]],
) -> Tally:
    """``work`` on every key, ``parallelism`` at a time; a failure is printed and counted.
    Interrupted, the keys not done count as cancelled and the interruption goes on."""
    if parallelism < 1:
        raise UsageError(f"--parallelism must be at least 1, got {parallelism}")
    tally = Tally()
    slots = asyncio.Semaphore(parallelism)
    with counting(ctx, what, len(keys)) as advance:

        async def one(key: BackendKey) -> None:
            async with slots:
                try:
                    await work(key)
                    tally.resolved += 1
                except TaskFailedError as exc:
                    tally.failed += 1
                    ctx.io.line(f"{what} Failed: {exc}")
                advance()

        try:
            await asyncio.gather(*(one(k) for k in keys))
        except asyncio.CancelledError:
            tally.cancelled = len(keys) - tally.resolved - tally.failed
            ctx.io.line(tally.line())
            raise
    return tally


@task("count-data", "count data for a given set of keys", lambda p: _per_key(p, "count"))
async def count_data(ctx: ShellContext, args: argparse.Namespace) -> None:
    wanted = read_keys(args)
    listing = scanners(ctx, await metric_backends(ctx, args.group))
    total = 0

    async def count(key: BackendKey) -> None:
        nonlocal total
        for scanner in listing:
            counted = await failing_as(scanner, scanner.count_key(key))
            total += counted  # after the await: ``total += await`` loses concurrent counts

    tally = await _each(ctx, "Count", wanted, args.parallelism, count)
    ctx.io.line()
    ctx.io.line(tally.line())
    ctx.io.line(f"Total Count: {total}")


def _delete_arguments(parser: TaskParser) -> None:
    _per_key(parser, "delete")
    parser.add_argument("--ok", action="store_true", help="really delete the keys")
    parser.add_argument("--verbose", action="store_true", help="print every deleted key")


@task("delete-keys", "delete all data for a set of keys (lists them unless --ok)",
      _delete_arguments)  # fmt: skip
async def delete_keys(ctx: ShellContext, args: argparse.Namespace) -> None:
    wanted = read_keys(args)
    listing = scanners(ctx, await metric_backends(ctx, args.group))
    if not args.ok:
        ctx.io.line("Examples of keys that would have been deleted (use --ok to perform):")
        for key in wanted[:EXAMPLES]:
            ctx.io.json(key.to_json())
        if len(wanted) > EXAMPLES:
            ctx.io.note(f"... and {len(wanted) - EXAMPLES} more key(s)")
        return

    async def delete(key: BackendKey) -> None:
        count = 0
        for scanner in listing:
            count += await failing_as(scanner, scanner.count_key(key))
            await failing_as(scanner, scanner.delete_key(key))
        if args.verbose:
            ctx.io.line(f"Deleted: {key_text(key)} ({count})")

    try:
        tally = await _each(ctx, "Delete", wanted, args.parallelism, delete)
    except asyncio.CancelledError:
        ctx.io.note(
            "interrupted: keys not reported as finished may or may not be deleted; run the "
            "same command again to delete the rest (deleting a key twice is harmless)"
        )
        raise
    ctx.io.line(tally.line())


def _serialize_arguments(parser: TaskParser) -> None:
    parser.add_argument("--group", metavar="<group>", help="backend group to use")
    parser.add_argument("key", metavar="<json>", help='key to serialize: {"series": …, "base": …}')


@task("serialize-key", "serialize the given backend key", _serialize_arguments)
async def serialize_key(ctx: ShellContext, args: argparse.Namespace) -> None:
    key = parse_key(args.key, "<json>")
    coding = codecs(ctx, await metric_backends(ctx, args.group))
    for i, codec in enumerate(coding):
        ctx.io.line(f"{i}: 0x{codec.serialize_key(key).hex()}")


def _deserialize_arguments(parser: TaskParser) -> None:
    parser.add_argument("--group", metavar="<group>", help="backend group to use")
    parser.add_argument("key", nargs="?", metavar="<hex>", help="key to deserialize (in hex)")


@task("deserialize-key", "deserialize the given backend key", _deserialize_arguments)
async def deserialize_key(ctx: ShellContext, args: argparse.Namespace) -> None:
    if args.key is None:
        return
    text = args.key.removeprefix("0x").removeprefix("0X")
    try:
        data = bytes.fromhex(text)
    except ValueError:
        raise UsageError(f"<hex>: {args.key!r} is not hexadecimal") from None
    coding = codecs(ctx, await metric_backends(ctx, args.group))
    decoded: list[BackendKey] = []
    for codec in coding:
        try:
            decoded.append(codec.deserialize_key(data))
        except (ValueError, binascii.Error) as exc:
            ctx.io.note(f"backend {codec.id}: not one of its keys: {exc}")
    if not decoded:
        raise TaskFailedError(f"{args.key} is no row key of backend {_ids(coding)}")
    for i, key in enumerate(decoded):
        ctx.io.line(f"{i}: {key_text(key)}")


def _ids(backends: Sequence[KeyCodec]) -> str:
    return ", ".join(b.id for b in backends)
