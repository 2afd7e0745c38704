"""Dispatch ``heroic <subcommand>`` to the package that implements it.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``. Modules are
imported only when their subcommand runs, so ``heroic api`` never loads the operator's
dependencies and the other way round.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Protocol, cast

from heroic_core.version import package_version

SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "api": ("heroic_api.cli", "run the API node (HTTP query API)"),
    "node": ("heroic_cli.node", "run the API and the configured consumers in one process"),
    "consumer": ("heroic_consumer.cli", "run the consumer node (Kafka / Pub/Sub ingestion)"),
    "operator": ("heroic_operator.process.cli", "run the Kubernetes operator"),
    "configure": (
        "heroic_cli.configure",
        "create backend tables, keyspaces, templates, topics and subscriptions",
    ),
}


class _Subcommand(Protocol):
    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _load(name: str) -> _Subcommand:
    return cast(_Subcommand, importlib.import_module(SUBCOMMANDS[name][0]))


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="heroic", description="Heroic time series database")
    parser.add_argument("--version", action="version", version=f"heroic {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    for name, (_, help_text) in SUBCOMMANDS.items():
        sub_parser = sub.add_parser(name, help=help_text)
        if name == chosen:
            _load(name).add_arguments(sub_parser)
    args = parser.parse_args(argv)
    return _load(args.command).run(args)


if __name__ == "__main__":
    sys.exit(main())
