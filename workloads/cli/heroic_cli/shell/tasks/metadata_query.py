"""What the metadata and suggest tasks share, as upstream's ``QueryParamsBase``: a filter from the
words after the options (HQL; none: every series), the last seven days as the range, ``--limit``
and ``-g/--group``; choosing a group's backends (an unknown group is a usage error naming the
valid ones), calling each of them, indexing series in bulk where a backend can, and reading a
series or the ``ingestion.filter`` from their text. Prints nothing."""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from heroic_cli.shell.context import failing_as
from heroic_cli.shell.errors import TaskFailedError, UsageError, unknown
from heroic_cli.shell.tasks.base import TaskParser
from heroic_core.backends.base import (
    Backend,
    BulkIndexWriter,
    MetadataBackend,
    SuggestBackend,
)
from heroic_core.backends.group import BackendGroup
from heroic_core.config import HeroicConfig
from heroic_core.errors import HeroicError
from heroic_core.filters import TRUE, Filter
from heroic_core.hql import parse_filter
from heroic_core.model import DateRange, Series

B = TypeVar("B", bound=Backend)
R = TypeVar("R")
SEVEN_DAYS_MS = 7 * 86_400_000


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def count(text: str) -> int:
    """An argparse type: a non-negative integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {value}")
    return value


def add_group(parser: TaskParser, help: str = "backend group to use") -> None:
    parser.add_argument("-g", "--group", metavar="<group>", help=help)


def add_limit(parser: TaskParser, help: str = "limit the number of printed entries") -> None:
    parser.add_argument("--limit", type=count, metavar="<int>", help=help)


def add_query(parser: TaskParser) -> None:
    parser.add_argument("query", nargs="*", help="a filter in HQL (none: every series)")


def query_arguments(parser: TaskParser) -> None:
    """``-g/--group``, ``--limit`` and the filter, as most of upstream's metadata tasks."""
    add_group(parser)
    add_limit(parser)
    add_query(parser)


def filter_of(words: Sequence[str]) -> Filter:
    """The words joined and parsed as an HQL filter; none is the true filter."""
    if not words:
        return TRUE
    text = " ".join(words)
    try:
        return parse_filter(text)
    except HeroicError as exc:
        raise UsageError(f"filter {text!r}: {exc}") from None


@dataclass(frozen=True, slots=True)
class Query:
    """A task's filter, range (upstream's: the last seven days) and limit."""

    filter: Filter
    range: DateRange
    limit: int | None

    @classmethod
    def of(cls, args: argparse.Namespace) -> Query:
        now = now_ms()
        limit: int | None = getattr(args, "limit", None)
        return cls(filter_of(args.query), DateRange(max(now - SEVEN_DAYS_MS, 0), now), limit)


def select(group: BackendGroup[B], kind: str, name: str | None) -> tuple[B, ...]:
    """The backends of group ``name`` (default ones when None); at least one."""
    if name is not None and name not in group.names():
        raise unknown(f"{kind} group", name, group.names())
    chosen = group.use(name)
    if not chosen:
        raise TaskFailedError(f"no {kind} backend is configured (try -P memory)")
    return chosen


def ids(backends: Sequence[Backend]) -> str:
    return ", ".join(b.id for b in backends)


async def each(backends: Sequence[B], call: Callable[[B], Awaitable[R]]) -> list[R]:
    """``call`` on every backend at once; the first failure names its backend."""

    async def one(backend: B) -> R:
        # The call is made here, not up front: a call never started (cancelled first) is
        # then never made, rather than left un-awaited.
        result: R = await failing_as(backend, call(backend))
        return result

    return list(await asyncio.gather(*(one(b) for b in backends)))


async def index(
    backends: Sequence[MetadataBackend | SuggestBackend], items: Sequence[tuple[Series, DateRange]]
) -> None:
    """Index ``items`` in every backend (one bulk request where it takes one); waits for all
    before raising the first failure, so no write is still running when the task reports."""

    async def write(backend: MetadataBackend | SuggestBackend) -> None:
        if isinstance(backend, BulkIndexWriter):
            await backend.write_many(items)
            return
        for series, range_ in items:
            await backend.write(series, range_)

    async def one(backend: MetadataBackend | SuggestBackend) -> None:
        await failing_as(backend, write(backend))

    results = await asyncio.gather(*(one(b) for b in backends), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result


def parse_series(text: str, what: str) -> Series:
    """A series from its JSON form; bad input names ``what``."""
    try:
        return Series.from_json(json.loads(text))
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{what}: not a series ({exc})") from None


def ingestion_filter(config: HeroicConfig) -> Filter | None:
    """The configured ``ingestion.filter`` (``-X ingestion.filter=..``) that written series
    must match, as the API node applies it; None when there is none."""
    text = config.ingestion.filter
    if not text:
        return None
    try:
        return parse_filter(text)
    except HeroicError as exc:
        raise UsageError(f"ingestion.filter {text!r}: {exc}") from None
