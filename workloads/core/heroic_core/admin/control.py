"""What the node tasks (``pause``, ``resume``, ``ingestion-filter``, ``statistics``,
``refresh``) may do to a running node: the ``NodeControl`` and ``ConsumerControl`` Protocols
each node implements, ``Output`` (where a task writes its lines) and ``CombinedControl`` (one
process running the API and the consumers). Describes shapes only: no I/O, no HTTP here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from heroic_core.backends.group import Backends
from heroic_core.filters import Filter

#: Counter name (with its labels, ``writes{function=metrics}``) -> value.
Counters = dict[str, float]


def backend_key(kind: str, backend_id: str) -> str:
    """The key of ``backend_counters``: ``metrics/<id>`` (ids repeat across kinds)."""
    return f"{kind}/{backend_id}"


class Output(Protocol):
    """Where a task writes: result lines, and notes (warnings, errors)."""

    def line(self, text: str = "") -> None: ...

    def note(self, text: str) -> None: ...


class ConsumerControl(Protocol):
    """One configured consumer of a running node."""

    @property
    def name(self) -> str:
        """What it consumes, for the task's output (``kafka #1 (topics: metrics)``)."""
        ...

    @property
    def held(self) -> bool:
        """Paused by a ``pause`` task (not by backpressure)."""
        ...

    async def pause(self) -> None:
        """Stop handing out messages; returns once nothing more will be consumed."""
        ...

    async def resume(self) -> None:
        """Consume again after ``pause``."""
        ...

    def counters(self) -> Counters:
        """This consumer's counters (consumed, committed, malformed, uncommitted...)."""
        ...


class NodeControl(Protocol):
    """A running node as the node tasks see it."""

    @property
    def backends(self) -> Backends | None:
        """The node's open backends (``None`` while starting or stopping)."""
        ...

    def consumers(self) -> Sequence[ConsumerControl]: ...

    def ingestion_filter(self) -> Filter:
        """The filter written series must match (``ingestion.filter``)."""
        ...

    def set_ingestion_filter(self, value: Filter) -> None:
        """Replace the ingestion filter until the node restarts."""
        ...

    def ingestion_counters(self) -> Counters: ...

    def backend_counters(self) -> Mapping[str, Counters]:
        """Counters per backend (``backend_key``): writes, points, errors."""
        ...

    def request_counters(self) -> Counters:
        """The HTTP API's request counters (empty for a node without one)."""
        ...


def _summed(parts: Sequence[Mapping[str, float]]) -> Counters:
    out: Counters = {}
    for part in parts:
        for name, value in part.items():
            out[name] = out.get(name, 0.0) + value
    return out


class CombinedControl:
    """Several controls of one process (``heroic node``: the API and the consumers) as one:
    the consumers of all, the filter set on all, the counters added up."""

    def __init__(self, *controls: NodeControl) -> None:
        if not controls:
            raise ValueError("CombinedControl needs at least one control")
        self.controls = controls

    @property
    def backends(self) -> Backends | None:
        return next((c.backends for c in self.controls if c.backends is not None), None)

    def consumers(self) -> Sequence[ConsumerControl]:
        return [consumer for c in self.controls for consumer in c.consumers()]

    def ingestion_filter(self) -> Filter:
        return self.controls[0].ingestion_filter()

    def set_ingestion_filter(self, value: Filter) -> None:
        for control in self.controls:
            control.set_ingestion_filter(value)

    def ingestion_counters(self) -> Counters:
        return _summed([c.ingestion_counters() for c in self.controls])

    def backend_counters(self) -> Mapping[str, Counters]:
        out: dict[str, Counters] = {}
        for control in self.controls:
            for backend, counters in control.backend_counters().items():
                out[backend] = _summed([out.get(backend, {}), counters])
        return out

    def request_counters(self) -> Counters:
        return _summed([c.request_counters() for c in self.controls])
