"""``python -m heroic_testenv``: fetch, up, env, status, logs, down, run, image."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from collections.abc import Sequence

from heroic_testenv import images, procs
from heroic_testenv.builds import fetch_all
from heroic_testenv.components.node import leftovers as node_leftovers
from heroic_testenv.paths import run_dir
from heroic_testenv.procs import ComponentError
from heroic_testenv.registry import COMPONENTS, resolve
from heroic_testenv.runner import down, exported, load_state, up


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="heroic-testenv", description=__doc__)
    sub = parser.add_subparsers(dest="verb", required=True)
    for verb, text in (
        ("fetch", "build or download what is missing, start nothing"),
        ("up", "start components (reusing running ones)"),
        ("down", "stop components (default: all, also after a crash)"),
    ):
        p = sub.add_parser(verb, help=text)
        p.add_argument("--components", default="all", help='e.g. "kubernetes kafka" or "all"')
    sub.add_parser("env", help="print export lines for the running environment")
    sub.add_parser("status", help="show what runs")
    sub.add_parser(
        "leftovers", help="list what a real node left on the machine; exit 1 if anything"
    )
    logs = sub.add_parser("logs", help="print a component's log")
    logs.add_argument("process")
    run = sub.add_parser("run", help="up, run a command with the environment, then down")
    run.add_argument("--components", default="all")
    run.add_argument("command", nargs=argparse.REMAINDER)
    images.add_parser(sub)
    return parser


def _run_command(components: str, command: Sequence[str]) -> int:
    argv = list(command[1:] if command and command[0] == "--" else command)
    if not argv:
        print("run: give a command after --", file=sys.stderr)
        return 2
    result = up(resolve(components))
    try:
        if result.errors:
            return 1
        return subprocess.call(argv, env={**os.environ, **result.env})
    finally:
        if result.started:
            down(result.started)


def _show(args: argparse.Namespace) -> int:
    """The verbs that only look: leftovers, env, status, logs."""
    if args.verb == "leftovers":
        found = node_leftovers()
        for item in found[:30]:
            print(item)
        if len(found) > 30:
            print(f"... and {len(found) - 30} more")
        return 1 if found else 0
    if args.verb == "env":
        for key, value in sorted(exported(load_state(run_dir())).items()):
            print(f"export {key}={shlex.quote(value)}")
    elif args.verb == "status":
        state = load_state(run_dir())
        for name, component in COMPONENTS.items():
            running = name in state and component.healthy(state[name])
            print(f"{name:14} {'running' if running else 'stopped'}")
    else:
        print(procs.tail(run_dir() / "logs" / f"{args.process}.log", lines=200))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.verb == "fetch":
            names = resolve(args.components)
            fetch_all(sorted({a for n in names for a in COMPONENTS[n].artifacts}))
        elif args.verb == "up":
            result = up(resolve(args.components))
            print(f"[testenv] environment: {run_dir() / 'testenv.env'}", file=sys.stderr)
            return 1 if result.errors else 0
        elif args.verb == "down":
            names = resolve(args.components, requirements=False)
            stopped = down(None if args.components == "all" else names)
            print(f"[testenv] stopped {', '.join(stopped) or 'nothing'}", file=sys.stderr)
        elif args.verb in ("leftovers", "env", "status", "logs"):
            return _show(args)
        elif args.verb == "run":
            return _run_command(args.components, args.command)
        elif args.verb == "image":
            return images.cli(args.names, args.tag)
    except (ComponentError, ValueError) as exc:
        print(f"[testenv] error: {exc}", file=sys.stderr)
        return 1
    return 0
