"""Tasks of the node as a whole: ``configure``, ``backends``, ``query``, ``parse-query``."""

from __future__ import annotations

import argparse
import time

from heroic_cli.shell.context import ShellContext, describe, failing_as
from heroic_cli.shell.errors import TaskFailedError
from heroic_cli.shell.tasks.base import TaskParser, task
from heroic_core.errors import HeroicError


def _group(parser: TaskParser) -> None:
    parser.add_argument("-g", "--group", help="backend group (default: the default groups)")


def _configure_arguments(parser: TaskParser) -> None:
    _group(parser)
    parser.add_argument(
        "--no-data", action="store_true", help="skip the metric, metadata and suggest backends"
    )


@task(
    "configure", "create tables, keyspaces and index templates (idempotent)", _configure_arguments
)
async def configure(ctx: ShellContext, args: argparse.Namespace) -> None:
    if args.no_data:
        ctx.io.line("nothing to configure (--no-data; this node has no analytics backends)")
        return
    backends = await ctx.backends()
    selected = [
        *backends.metrics.use(args.group),
        *backends.metadata.use(args.group),
        *backends.suggest.use(args.group),
    ]
    for backend in selected:
        result = await failing_as(backend, backend.configure())
        ctx.io.line(f"{backend.id}: {describe(result.to_json())}")


@task("backends", "list the backends and their groups", _group)
async def backends(ctx: ShellContext, args: argparse.Namespace) -> None:
    opened = await ctx.backends()
    for kind, group in (
        ("metrics", opened.metrics),
        ("metadata", opened.metadata),
        ("suggest", opened.suggest),
    ):
        for backend in group.use(args.group) if args.group else group.members:
            groups = ", ".join(sorted(backend.groups)) or "-"
            ctx.io.line(f"{kind}: {backend.id} ({type(backend).__name__}; groups: {groups})")


def _query_arguments(parser: TaskParser) -> None:
    _group(parser)
    parser.add_argument("query", nargs="+", help="a query in HQL")


@task("query", "run a query (HQL) and print each result group as JSON", _query_arguments)
async def query(ctx: ShellContext, args: argparse.Namespace) -> None:
    from heroic_api.services.query import QueryEngine  # noqa: PLC0415 - heavy, on use
    from heroic_api.services.query_log import build_query_log  # noqa: PLC0415
    from heroic_api.services.query_request import query_from_hql  # noqa: PLC0415
    from heroic_api.settings import settings_from_config  # noqa: PLC0415

    now = time.time_ns() // 1_000_000
    try:
        parsed = query_from_hql(" ".join(args.query), now=now)
    except HeroicError as exc:
        raise TaskFailedError(f"query: {exc}") from None
    settings = settings_from_config(ctx.config)
    log = build_query_log(settings.query_logging)
    engine = QueryEngine(settings, await ctx.backends(), query_log=log)
    answer = await engine.query(parsed, now=now, group=args.group, client_id="heroic-shell")
    for error in answer.get("errors", []):
        ctx.io.note(f"error: {error}")
    for group in answer.get("result", []):
        ctx.io.json(group)


def _parse_arguments(parser: TaskParser) -> None:
    parser.add_argument("query", nargs="+", help="a query in HQL")


@task("parse-query", "print how a query (HQL) parses, as JSON", _parse_arguments)
async def parse_query(ctx: ShellContext, args: argparse.Namespace) -> None:
    from heroic_core.hql import parse_query as parse  # noqa: PLC0415

    try:
        parsed = parse(" ".join(args.query), now_ms=time.time_ns() // 1_000_000)
    except HeroicError as exc:
        raise TaskFailedError(f"parse-query: {exc}") from None
    ctx.io.json(parsed.to_json())
