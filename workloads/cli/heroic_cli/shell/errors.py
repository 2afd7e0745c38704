"""The shell's errors: usage errors (exit code 2, one line naming the problem and the valid
choices) and task failures (the task's backend and reason; the interactive shell stays open)."""

from __future__ import annotations

from collections.abc import Iterable

from heroic_core.errors import HeroicError

EXIT_USAGE = 2
EXIT_FAILED = 1


class UsageError(HeroicError):
    """A wrong profile, parameter, task or argument."""


class TaskFailedError(HeroicError):
    """A task could not do its work; the message names the backend and the reason."""


def unknown(what: str, name: str, valid: Iterable[str]) -> UsageError:
    choices = ", ".join(sorted(valid))
    return UsageError(f"unknown {what} {name!r}; valid: {choices}")
