"""What every component provides to the runner, and small helpers they share."""

from __future__ import annotations

import json
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


class Component(Protocol):
    """A startable component of the test environment."""

    @property
    def name(self) -> str:
        """The component's name, as given to ``--components``."""
        ...

    @property
    def artifacts(self) -> tuple[str, ...]:
        """The cached artifacts it runs from."""
        ...

    @property
    def processes(self) -> tuple[str, ...]:
        """The names of its processes (pid and log files)."""
        ...

    def start(self, run: Path, artifacts: Mapping[str, Path]) -> dict[str, str]:
        """Start, block until really ready, return the variables it exports."""
        ...

    def healthy(self, env: Mapping[str, str]) -> bool:
        """True if a component started earlier with ``env`` still answers."""
        ...


@dataclass
class Timing:
    """How long each phase of ``up`` took, printed at the end."""

    seconds: dict[str, float] = field(default_factory=dict)


def http_json(
    url: str,
    *,
    method: str = "GET",
    body: Any = None,
    context: ssl.SSLContext | None = None,
    timeout: float = 5.0,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """A JSON request with the standard library; raises on any non-2xx status."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - our loopback URLs
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310
        raw = response.read()
    return json.loads(raw) if raw else None
