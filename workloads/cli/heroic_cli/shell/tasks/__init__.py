"""The shell's tasks, by name: each module registers its own with ``base.task``."""

from __future__ import annotations

from heroic_cli.shell.tasks import core, data, generated, keys, migrate, node
from heroic_cli.shell.tasks import metadata as metadata  # registers its tasks
from heroic_cli.shell.tasks import suggest as suggest  # registers its tasks
from heroic_cli.shell.tasks.base import TASKS, Task

__all__ = ["TASKS", "Task", "core", "data", "generated", "keys", "migrate", "node"]
