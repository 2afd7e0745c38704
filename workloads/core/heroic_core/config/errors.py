"""``ConfigError`` and the translation of pydantic validation errors into config paths.

Paths are written the way the YAML reads (``metrics.backends[0].table``): camelCase keys,
``[i]`` for list items, and without the ``type`` tags pydantic inserts for discriminated unions.
This module never reads files and never decides what is valid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from heroic_core.errors import HeroicError


class ConfigError(HeroicError):
    """An invalid configuration; ``problems`` lists ``(path, message)`` pairs."""

    def __init__(self, message: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        self.problems = list(problems)
        if self.problems:
            lines = [f"  {path or '<root>'}: {text}" for path, text in self.problems]
            message = "\n".join([message, *lines])
        super().__init__(message)


def format_path(loc: Sequence[int | str], data: object) -> str:
    """Render a pydantic ``loc`` as a YAML path, dropping discriminator tags."""
    out = ""
    current: object = data
    for element in loc:
        if isinstance(element, int):
            out += f"[{element}]"
            ok = isinstance(current, list) and 0 <= element < len(current)
            current = current[element] if ok else None  # type: ignore[index]
            continue
        if isinstance(current, Mapping):
            if element in current:
                out = f"{out}.{element}" if out else element
                current = current[element]
                continue
            if current.get("type") == element:
                continue
        out = f"{out}.{element}" if out else element
        current = None
    return out


def _describe(error: ErrorDetails) -> tuple[str, str]:
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "extra_forbidden":
        return "", "unknown key"
    if kind == "missing":
        return "", "missing required key"
    if kind == "union_tag_invalid":
        return (
            "type",
            f"unknown type {ctx.get('tag')!r} (expected one of: {ctx.get('expected_tags')})",
        )
    if kind == "union_tag_not_found":
        return "type", "missing 'type' to choose the kind of this entry"
    message = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return "", message


def from_validation_error(exc: ValidationError, data: object, source: str) -> ConfigError:
    """A ``ConfigError`` listing every problem of ``exc`` with its path."""
    problems: list[tuple[str, str]] = []
    for error in exc.errors(include_url=False):
        path = format_path(error["loc"], data)
        suffix, message = _describe(error)
        if suffix:
            path = f"{path}.{suffix}" if path else suffix
        problems.append((path, message))
    count = len(problems)
    noun = "problem" if count == 1 else "problems"
    return ConfigError(f"invalid configuration {source} ({count} {noun}):", problems)
