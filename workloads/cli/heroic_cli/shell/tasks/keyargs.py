"""Arguments shared by the row-key tasks: upstream's keyspace options (``--start``/``--end``
keys as JSON, ``--start-token``/``--end-token``, ``--start-percentage``/``--end-percentage``,
``--limit``, page sizes), keys given with ``-k`` or in a ``-f`` file of JSON lines, and the
metric backends of a group that can do what a task asks (the others named, with the reason).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncGenerator, Sequence
from pathlib import Path

from heroic_cli.shell.context import ShellContext
from heroic_cli.shell.errors import TaskFailedError, UsageError
from heroic_cli.shell.tasks.base import TaskParser
from heroic_cli.shell.tasks.inputs import parse_json
from heroic_core.backends.base import (
    BackendKey,
    KeyCodec,
    KeyRange,
    KeyScanner,
    MetricBackend,
    UnreadableKey,
)
from heroic_core.errors import RequestError

#: Why a backend cannot list, count, read or delete row keys.
NO_KEYS = "cannot list its row keys"
#: Why a backend cannot serialize keys (the memory backend keeps series, not row keys).
NO_CODEC = "has no serialized row keys (it keeps series in process memory)"


def keyspace_arguments(parser: TaskParser) -> None:
    """Upstream's ``KeyspaceBase`` and paging options."""
    parser.add_argument("--start", metavar="<json>", help="first key to operate on")
    parser.add_argument("--end", metavar="<json>", help="last key to operate on (exclusive)")
    parser.add_argument(
        "--start-percentage", type=int, metavar="<int>", help="first key, in percent of tokens"
    )
    parser.add_argument(
        "--end-percentage", type=int, metavar="<int>", help="last key (exclusive), in percent"
    )
    parser.add_argument("--start-token", type=int, metavar="<long>", help="first token")
    parser.add_argument("--end-token", type=int, metavar="<long>", help="last token (exclusive)")
    parser.add_argument("--limit", type=int, metavar="<int>", help="at most this many keys")
    parser.add_argument(
        "--keys-paged", action="store_true", help="keys are always read a page at a time here"
    )
    parser.add_argument(
        "--keys-page-size", type=int, metavar="<int>", help="keys per page (with --keys-paged)"
    )
    parser.add_argument("--fetch-size", type=int, metavar="<int>", help="keys per request")
    parser.add_ignored("--tracing", why="key scans are not traced", action="store_true")


def key_range(args: argparse.Namespace) -> KeyRange:
    """The ``KeyRange`` the keyspace options describe."""
    page = args.keys_page_size if args.keys_paged and args.keys_page_size else args.fetch_size
    try:
        return KeyRange(
            start=parse_key(args.start, "--start") if args.start else None,
            end=parse_key(args.end, "--end") if args.end else None,
            start_token=args.start_token,
            end_token=args.end_token,
            start_percentage=args.start_percentage,
            end_percentage=args.end_percentage,
            limit=args.limit,
            page_size=page,
        )
    except RequestError as exc:
        raise UsageError(str(exc)) from None


def parse_key(text: str, option: str) -> BackendKey:
    """A key from its JSON: ``{"series": {...}, "base": <ms>}``."""
    try:
        return BackendKey.from_json(parse_json(text, option))
    except RequestError as exc:
        raise UsageError(f"{option}: {exc}") from None


def key_text(key: BackendKey) -> str:
    """A key as one line of JSON (what ``-k``, ``-f`` and ``--start`` read back)."""
    return json.dumps(key.to_json(), sort_keys=True)


def key_inputs(parser: TaskParser, verb: str) -> None:
    """Upstream's ``-f/--file`` and ``-k/--key`` (repeatable)."""
    parser.add_argument("-f", "--file", metavar="<file>", help="file of keys, one JSON a line")
    parser.add_argument(
        "-k", "--key", action="append", default=[], metavar="<json>", help=f"key to {verb}"
    )


def read_keys(args: argparse.Namespace) -> list[BackendKey]:
    """The keys of ``-f`` (first) and ``-k``; none at all is a usage error."""
    keys: list[BackendKey] = []
    if args.file:
        path = Path(args.file)
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise UsageError(f"-f/--file: cannot read {path}: {exc.strerror}") from None
        for number, line in enumerate(lines, 1):
            if line.strip():
                keys.append(parse_key(line, f"-f/--file {path}:{number}"))
    keys.extend(parse_key(text, "-k/--key") for text in args.key)
    if not keys:
        raise UsageError("no keys: give -k <json> or -f <file>")
    return keys


async def metric_backends(ctx: ShellContext, group: str | None) -> tuple[MetricBackend, ...]:
    """The metric backends of ``group`` (the default ones when None); none is a failure."""
    selected = (await ctx.backends()).metrics.use(group)
    if not selected:
        where = f"in group {group!r}" if group else "configured"
        raise TaskFailedError(f"no metric backend {where}")
    return selected


def scanners(ctx: ShellContext, backends: Sequence[MetricBackend]) -> list[KeyScanner]:
    """The backends that list their row keys (the others named on stderr); none: a failure."""
    found = [b for b in backends if isinstance(b, KeyScanner)]
    _report_missing(ctx, backends, found, NO_KEYS)
    return found


def codecs(ctx: ShellContext, backends: Sequence[MetricBackend]) -> list[KeyCodec]:
    """The backends with serialized row keys (the others named on stderr); none: a failure."""
    found = [b for b in backends if isinstance(b, KeyCodec)]
    _report_missing(ctx, backends, found, NO_CODEC)
    return found


def _report_missing(
    ctx: ShellContext,
    backends: Sequence[MetricBackend],
    found: Sequence[MetricBackend],
    why: str,
) -> None:
    missing = [b for b in backends if b not in found]
    if not found:
        names = ", ".join(f"{b.id} ({type(b).__name__})" for b in missing)
        raise TaskFailedError(f"backend {names} {why}")
    for backend in missing:
        ctx.io.note(f"skipped backend {backend.id} ({type(backend).__name__}): it {why}")


async def scanned(
    scanner: KeyScanner, bounds: KeyRange
) -> AsyncGenerator[BackendKey | UnreadableKey]:
    """``scanner.scan_keys(bounds)``, a failure named by the backend (as ``failing_as``)."""
    try:
        async for key in scanner.scan_keys(bounds):
            yield key
    except TaskFailedError:
        raise
    except Exception as exc:
        raise TaskFailedError(f"backend {scanner.id}: {exc or type(exc).__name__}") from exc
