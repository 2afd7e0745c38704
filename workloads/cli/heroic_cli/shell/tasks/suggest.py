"""Upstream's suggest tasks over the suggest backends of a group: ``suggest-key``,
``suggest-tag``, ``suggest-tag-key-count``, ``suggest-tag-value`` and ``suggest-tag-values``.
Each prints its suggestions one a line, numbered (``0: {...}``) as upstream did, with each
suggestion as JSON rather than upstream's Kotlin ``toString``. Results of several backends merge
as the HTTP API merges them (``heroic_core.backends.reduce``). Reads only."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from typing import Any

from heroic_cli.shell.context import ShellContext
from heroic_cli.shell.tasks.base import TaskParser, task
from heroic_cli.shell.tasks.metadata_query import (
    Query,
    count,
    each,
    query_arguments,
    select,
)
from heroic_cli.shell.tasks.series_text import json_text
from heroic_core.backends import reduce
from heroic_core.backends.base import SuggestBackend
from heroic_core.backends.results import MatchOptions
from heroic_core.limits import DEFAULT_TAGKEY_COUNT_EXACT_LIMIT


async def _suggest(ctx: ShellContext, group: str | None) -> tuple[SuggestBackend, ...]:
    return select((await ctx.backends()).suggest, "suggest", group)


def _numbered(ctx: ShellContext, items: Iterable[Any]) -> None:
    for i, item in enumerate(items):
        text = item if isinstance(item, str) else json_text(item.to_json())
        ctx.io.line(f"{i}: {text}")


def _key(parser: TaskParser) -> None:
    parser.add_argument("-k", "--key", help="key context for the suggestion")


def _key_arguments(parser: TaskParser) -> None:
    query_arguments(parser)
    _key(parser)


@task("suggest-key", "suggest series keys", _key_arguments)
async def suggest_key(ctx: ShellContext, args: argparse.Namespace) -> None:
    q, match = Query.of(args), MatchOptions()
    found = await each(
        await _suggest(ctx, args.group),
        lambda b: b.key_suggest(q.filter, q.range, q.limit, key=args.key, match=match),
    )
    _numbered(ctx, reduce.key_suggest(found, q.limit).suggestions)


def _tag_arguments(parser: TaskParser) -> None:
    _key_arguments(parser)
    parser.add_argument("-v", "--value", help="value context for the suggestion")


@task("suggest-tag", "suggest tags (key and value pairs)", _tag_arguments)
async def suggest_tag(ctx: ShellContext, args: argparse.Namespace) -> None:
    q, match = Query.of(args), MatchOptions()
    found = await each(
        await _suggest(ctx, args.group),
        lambda b: b.tag_suggest(
            q.filter, q.range, q.limit, key=args.key, value=args.value, match=match
        ),
    )
    _numbered(ctx, reduce.tag_suggest(found, q.limit).suggestions)


def _tag_key_count_arguments(parser: TaskParser) -> None:
    query_arguments(parser)
    parser.add_ignored("-k", "--key", why="upstream's task ignores it too; counts cover every key")
    parser.add_argument(
        "--exact-limit", type=count, default=DEFAULT_TAGKEY_COUNT_EXACT_LIMIT, metavar="<int>",
        help=f"list the values of keys with at most this many ({DEFAULT_TAGKEY_COUNT_EXACT_LIMIT})",
    )  # fmt: skip


@task("suggest-tag-key-count", "count the values of each tag key", _tag_key_count_arguments)
async def suggest_tag_key_count(ctx: ShellContext, args: argparse.Namespace) -> None:
    q, exact = Query.of(args), args.exact_limit
    found = await each(
        await _suggest(ctx, args.group),
        lambda b: b.tagkey_count(q.filter, q.range, q.limit, exact_limit=exact),
    )
    _numbered(ctx, reduce.tagkey_count(found, q.limit, exact).suggestions)


@task("suggest-tag-value", "suggest the values of a tag key", _key_arguments)
async def suggest_tag_value(ctx: ShellContext, args: argparse.Namespace) -> None:
    q = Query.of(args)
    found = await each(
        await _suggest(ctx, args.group),
        lambda b: b.tag_value_suggest(q.filter, q.range, q.limit, key=args.key),
    )
    _numbered(ctx, reduce.tag_value_suggest(found, q.limit).values)


def _tag_values_arguments(parser: TaskParser) -> None:
    query_arguments(parser)
    parser.add_argument(
        "-e", "--exclude", action="append", default=[], metavar="<tag>",
        help="leave out this tag key (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--group-limit", type=count, metavar="<int>", help="at most this many values per key"
    )


@task("suggest-tag-values", "suggest tag keys, each with its values", _tag_values_arguments)
async def suggest_tag_values(ctx: ShellContext, args: argparse.Namespace) -> None:
    q, per_key = Query.of(args), args.group_limit
    found = await each(
        await _suggest(ctx, args.group),
        lambda b: b.tag_values_suggest(
            q.filter, q.range, q.limit, group_limit=per_key, exclude=args.exclude
        ),
    )
    _numbered(ctx, reduce.tag_values_suggest(found, q.limit, per_key).suggestions)
