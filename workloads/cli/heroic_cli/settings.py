"""A command's process settings: its flags over its ``HEROIC_*`` environment over its defaults.

Each subcommand declares argparse options (flag names, short options, repeatable options) and a
pydantic-settings model with the same field names (types, defaults, environment variables).
This module joins the two: argparse parses, with its defaults suppressed so that only the flags
actually given reach the model; they are init arguments there, which pydantic-settings ranks
above the environment. An invalid value, from a flag or a variable, is one argparse error
(exit code 2) naming both.
"""

from __future__ import annotations

import argparse
from typing import Any, TypeVar

from pydantic import AliasChoices, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings

S = TypeVar("S", bound=BaseSettings)


def environment_names(model: type[BaseSettings], name: str) -> list[str]:
    """The variables that set field ``name``: its aliases if it has any, else prefix + name."""
    alias = model.model_fields[name].validation_alias
    if isinstance(alias, AliasChoices):
        return [str(choice) for choice in alias.choices]
    if isinstance(alias, str):
        return [alias]
    return [f"{model.model_config.get('env_prefix', '')}{name}".upper()]


def shown_default(field: FieldInfo) -> str | None:
    """The default as ``--help`` shows it; None where the option's help text explains it (no
    default, or one computed at run time such as the host name)."""
    if field.default_factory is not None:
        return None
    value = field.get_default()
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe(parser: argparse.ArgumentParser, model: type[BaseSettings]) -> None:
    """Make ``parser``'s options defer to ``model``: no argparse defaults, and each option's help
    names its default and variables. Settings without a flag are listed in the epilog."""
    flagged = set()
    for action in parser._actions:
        if action.dest in (argparse.SUPPRESS, "help"):
            continue
        if action.dest not in model.model_fields:  # it would be parsed, then dropped
            raise TypeError(f"{action.option_strings} has no field in {model.__name__}")
        flagged.add(action.dest)
        action.default = argparse.SUPPRESS
        action.help = f"{action.help or ''} {_origin(model, action.dest)}".strip()
    env_only = [
        f"{' / '.join(environment_names(model, name))}: {field.description or name} "
        f"{_origin(model, name, with_env=False)}".strip()
        for name, field in model.model_fields.items()
        if name not in flagged
    ]
    lines = [
        "Each option can also be set by the environment variable its help names;"
        " a flag wins over the variable."
    ]
    if env_only:
        lines.append("Settings from the environment only: " + "; ".join(env_only) + ".")
    parser.epilog = " ".join(lines)


def settings_from(parser: argparse.ArgumentParser, model: type[S], args: argparse.Namespace) -> S:
    """The settings of the flags in ``args`` over the environment; an invalid value is an
    argparse error (exit code 2) naming its flag and variables."""
    flags = {name: value for name, value in vars(args).items() if name in model.model_fields}
    flags |= _excluded_by_flags(parser, model, flags)
    try:
        return model(**flags)
    except ValidationError as exc:
        parser.error("; ".join(_explain(parser, model, error) for error in exc.errors()))


def _origin(model: type[BaseSettings], name: str, *, with_env: bool = True) -> str:
    parts = []
    default = shown_default(model.model_fields[name])
    if default is not None:
        parts.append(f"default: {default}")
    if with_env:
        parts.append(f"env: {' or '.join(environment_names(model, name))}")
    # argparse formats help with %-style placeholders.
    return f"[{'; '.join(parts)}]".replace("%", "%%") if parts else ""


def _excluded_by_flags(
    parser: argparse.ArgumentParser, model: type[BaseSettings], flags: dict[str, Any]
) -> dict[str, Any]:
    """A flag of a mutually exclusive group beats the environment of the group's other options:
    ``--all-namespaces`` watches every namespace even where ``WATCH_NAMESPACES`` is set."""
    reset: dict[str, Any] = {}
    for group in parser._mutually_exclusive_groups:
        dests = [action.dest for action in group._group_actions]
        if any(dest in flags for dest in dests):
            for dest in dests:
                if dest not in flags and dest in model.model_fields:
                    reset[dest] = model.model_fields[dest].get_default(call_default_factory=True)
    return reset


def _explain(
    parser: argparse.ArgumentParser, model: type[BaseSettings], error: ErrorDetails
) -> str:
    message = error["msg"].removeprefix("Value error, ")
    name = _field_name(model, error["loc"][0]) if error["loc"] else None
    if name is None:  # a rule across settings: its message names them
        return message
    options = [
        option
        for action in parser._actions
        if action.dest == name
        for option in action.option_strings
        if option.startswith("--")
    ]
    names = " / ".join([*options, *environment_names(model, name)])
    return f"argument {names}: invalid value {error['input']!r}: {message}"


def _field_name(model: type[BaseSettings], key: int | str) -> str | None:
    if key in model.model_fields:
        return str(key)
    for name in model.model_fields:
        if str(key).upper() in environment_names(model, name):
            return name
    return None
