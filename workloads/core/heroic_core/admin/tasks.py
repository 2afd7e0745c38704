"""The node tasks, upstream's names and options: ``pause`` and ``resume`` (the consumers),
``ingestion-filter`` (print or set the filter written series must match), ``statistics`` (the
node's counters) and ``refresh`` (no federation here: it re-checks the backends instead).

Each runs against a ``NodeControl`` and writes to an ``Output``; the shell runs them in process
(``--server``) and a node's admin endpoint runs them for a remote shell (``--connect``).
``NodeTaskRunner`` is that endpoint's runner: it parses a task line and runs it. A bad argument
raises ``NodeUsageError`` (exit code 2), a task that cannot do its work ``NodeTaskError`` (1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NoReturn

from heroic_core.admin.control import (
    ConsumerControl,
    Counters,
    NodeControl,
    Output,
    backend_key,
)
from heroic_core.backends.base import Backend
from heroic_core.errors import HeroicError
from heroic_core.hql import parse_filter

EXIT_FAILED = 1
EXIT_USAGE = 2
#: How long ``refresh`` waits for one backend's readiness check.
READY_TIMEOUT = 10.0


class NodeTaskError(HeroicError):
    """A node task could not do its work; the message says why."""


class NodeUsageError(HeroicError):
    """A wrong task name or argument."""


class HelpRequested(Exception):  # noqa: N818 - not an error: --help was asked for
    """``--help`` was given; the task prints its usage instead of running."""


class NodeTaskParser(argparse.ArgumentParser):
    """Arguments of a node task: errors raise ``NodeUsageError`` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise NodeUsageError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        raise HelpRequested(message or "")


Run = Callable[[NodeControl, argparse.Namespace, Output], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class NodeTask:
    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Run


def _skip_consumers(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--skip-consumers", action="store_true", help="leave the consumers alone (a no-op here)"
    )


def _consumers(control: NodeControl, what: str) -> Sequence[ConsumerControl]:
    consumers = control.consumers()
    if not consumers:
        raise NodeTaskError(f"this node runs no consumers (heroic.yml 'consumers:') to {what}")
    return consumers


async def pause(control: NodeControl, args: argparse.Namespace, out: Output) -> None:
    if args.skip_consumers:
        return
    consumers = _consumers(control, "pause")
    out.line("Pausing Consumers")
    await asyncio.gather(*(c.pause() for c in consumers))
    for consumer in consumers:
        out.line(f"  {consumer.name}: paused (batches in flight still finish and commit)")


async def resume(control: NodeControl, args: argparse.Namespace, out: Output) -> None:
    if args.skip_consumers:
        return
    consumers = _consumers(control, "resume")
    out.line("Resuming Consumers")
    await asyncio.gather(*(c.resume() for c in consumers))
    for consumer in consumers:
        out.line(f"  {consumer.name}: consuming")


def _filter_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "filter", nargs="*", metavar="<filter>", help="filter to use (HQL; none: print it)"
    )


def _text(value: object) -> str:
    return json.dumps(value, separators=(", ", ": "))


async def ingestion_filter(control: NodeControl, args: argparse.Namespace, out: Output) -> None:
    if not args.filter:
        out.line(f"Current ingestion filter: {_text(control.ingestion_filter().to_json())}")
        return
    text = " ".join(args.filter)
    try:
        parsed = parse_filter(text)
    except HeroicError as exc:
        raise NodeUsageError(f"ingestion-filter: invalid filter {text!r}: {exc}") from None
    out.line(f"Updating ingestion filter to: {_text(parsed.to_json())}")
    control.set_ingestion_filter(parsed)


def _counters(out: Output, counters: Counters, indent: str) -> None:
    for name, value in sorted(counters.items()):
        number = int(value) if float(value).is_integer() else value
        out.line(f"{indent}{name}={number}")


async def statistics(control: NodeControl, args: argparse.Namespace, out: Output) -> None:
    del args
    out.line("Consumers:")
    for consumer in control.consumers():
        state = "paused" if consumer.held else "consuming"
        out.line(f"  {consumer.name}: {state}")
        _counters(out, consumer.counters(), "    ")
    out.line(f"Ingestion: filter {_text(control.ingestion_filter().to_json())}")
    _counters(out, control.ingestion_counters(), "  ")
    per_backend: Mapping[str, Counters] = control.backend_counters()
    backends = control.backends
    for kind, group in (
        ("metrics", backends.metrics if backends else ()),
        ("metadata", backends.metadata if backends else ()),
        ("suggest", backends.suggest if backends else ()),
    ):
        out.line(f"{kind.capitalize()}:")
        for backend in group:
            out.line(f"  {backend.id} ({type(backend).__name__})")
            _counters(out, per_backend.get(backend_key(kind, backend.id), {}), "    ")
    requests = control.request_counters()
    if requests:
        out.line("Requests:")
        _counters(out, requests, "  ")


async def _readiness(backend: Backend) -> str:
    try:
        ready = await asyncio.wait_for(backend.is_ready(), READY_TIMEOUT)
    except TimeoutError:
        return f"not ready: no answer within {READY_TIMEOUT:.0f}s"
    except Exception as exc:  # noqa: BLE001 - the reason is what refresh reports
        return f"not ready: {exc or type(exc).__name__}"
    return "ready" if ready else "not ready"


async def refresh(control: NodeControl, args: argparse.Namespace, out: Output) -> None:
    del args
    backends = control.backends
    if backends is None:
        raise NodeTaskError("the node's backends are not open (it is starting or stopping)")
    out.line("Cluster: this node serves its local shard only (no federation): no node list")
    out.line("Backends (readiness checked again):")
    for kind, group in (
        ("metrics", backends.metrics),
        ("metadata", backends.metadata),
        ("suggest", backends.suggest),
    ):
        members = list(group)
        states = await asyncio.gather(*(_readiness(b) for b in members))
        for backend, state in zip(members, states, strict=True):
            out.line(f"  {kind} {backend.id}: {state}")


NODE_TASKS: dict[str, NodeTask] = {
    t.name: t
    for t in (
        NodeTask("pause", "pause the consumers of a running node", _skip_consumers, pause),
        NodeTask("resume", "resume the consumers paused with pause", _skip_consumers, resume),
        NodeTask(
            "ingestion-filter",
            "print, or set (HQL), the filter written series must match",
            _filter_arguments,
            ingestion_filter,
        ),
        NodeTask("statistics", "print the node's counters", lambda _: None, statistics),
        NodeTask(
            "refresh",
            "re-check the node's backends (no federation: no node list to refresh)",
            lambda _: None,
            refresh,
        ),
    )
}


def node_task_parser(task: NodeTask) -> NodeTaskParser:
    parser = NodeTaskParser(prog=task.name, description=task.help)
    task.arguments(parser)
    return parser


class NodeTaskRunner:
    """Runs task lines against one node: what an API or consumer node's admin endpoint serves."""

    def __init__(self, control: NodeControl) -> None:
        self.control = control

    def tasks(self) -> Mapping[str, str]:
        return {name: task.help for name, task in NODE_TASKS.items()}

    async def run(self, argv: Sequence[str], out: Output) -> int:
        """Run ``argv`` (a task name and its arguments); the exit code."""
        if not argv:
            return 0
        name, *rest = argv
        task = NODE_TASKS.get(name)
        try:
            if task is None:
                valid = ", ".join(sorted(NODE_TASKS))
                raise NodeUsageError(f"unknown task {name!r} on this node; valid: {valid}")
            parser = node_task_parser(task)
            try:
                args = parser.parse_args(rest)
            except HelpRequested:
                out.line(parser.format_help().rstrip())
                return 0
            await task.run(self.control, args, out)
        except NodeUsageError as exc:
            out.note(f"error: {exc}")
            return EXIT_USAGE
        except HeroicError as exc:
            out.note(f"error: {name}: {exc}")
            return EXIT_FAILED
        return 0
