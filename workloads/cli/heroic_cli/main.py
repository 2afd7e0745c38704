"""Dispatch ``heroic <subcommand>`` to the package that implements it.

Each subcommand module exposes ``add_arguments(parser)``, ``settings_model`` (a pydantic-settings
model with a field per option, ``heroic_cli.settings``) and ``run(settings) -> int``. Modules are
imported only when their subcommand runs, so ``heroic api`` never loads the operator's
dependencies and the other way round.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any, Protocol, cast

from pydantic_settings import BaseSettings

from heroic_cli.settings import describe, settings_from
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
    "shell": ("heroic_cli.shell.cli", "upstream's Heroic shell: profiles, parameters and tasks"),
}


class Subcommand(Protocol):
    settings_model: type[BaseSettings]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    # Any: each module takes its own settings_model.
    def run(self, settings: Any) -> int: ...


def _load(name: str) -> Subcommand:
    return cast(Subcommand, importlib.import_module(SUBCOMMANDS[name][0]))


def parse(argv: Sequence[str]) -> tuple[Subcommand, BaseSettings]:
    """The chosen subcommand and its settings: flags over ``HEROIC_*`` variables over defaults.
    Exits (code 2) on an invalid command line or setting, as argparse does."""
    argv = list(argv)
    parser = argparse.ArgumentParser(prog="heroic", description="Heroic time series database")
    parser.add_argument("--version", action="version", version=f"heroic {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    sub_parsers = {}
    for name, (_, help_text) in SUBCOMMANDS.items():
        sub_parsers[name] = sub_parser = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            command = _load(name)
            command.add_arguments(sub_parser)
            describe(sub_parser, command.settings_model)
    args = parser.parse_args(argv)
    if args.command != chosen:  # e.g. "heroic -- api": its options were never declared
        parser.error(f"put the command first: heroic {args.command} [options]")
    command = _load(args.command)
    return command, settings_from(sub_parsers[args.command], command.settings_model, args)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand; returns the exit code."""
    command, settings = parse(sys.argv[1:] if argv is None else argv)
    return command.run(settings)


if __name__ == "__main__":
    sys.exit(main())
