"""Upstream's ``QueryTrace`` JSON: ``{"what": {"name"}, "elapsed": µs, "children": [...]}``.

A tiny stopwatch tree; it must not know what is being timed. ``heroic_api.tracing.spans``
grows it from a query's spans.
"""

from __future__ import annotations

import time
from typing import Any


class Trace:
    """One named, timed step and its children."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.started = time.perf_counter_ns()
        self.elapsed_ns: int | None = None
        self.children: list[Trace] = []

    def child(self, name: str) -> Trace:
        """Start a child step now."""
        step = Trace(name)
        self.children.append(step)
        return step

    def end(self, elapsed_ns: int | None = None) -> None:
        """Stop the clock (idempotent); ``elapsed_ns`` when another clock timed the step."""
        if self.elapsed_ns is None:
            measured = time.perf_counter_ns() - self.started
            self.elapsed_ns = measured if elapsed_ns is None else elapsed_ns

    def to_json(self) -> dict[str, Any]:
        elapsed = self.elapsed_ns if self.elapsed_ns is not None else 0
        return {
            "what": {"name": self.name},
            "elapsed": elapsed // 1000,
            "children": [c.to_json() for c in self.children],
        }
