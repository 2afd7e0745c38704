"""Backend groups: which configured backends serve a request (``?group=``) and by default.

Mirrors upstream ``BackendGroups``: every backend belongs to at least one group; without
``defaultBackends`` every backend is a default; an unknown ``defaultBackends`` group is a
configuration error; selecting an unknown group yields no backends (not an error). This module
only selects backends; it never calls them except for the lifecycle helpers of ``Backends``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from heroic_core.backends.base import (
    Backend,
    ConfigureResult,
    MetadataBackend,
    MetricBackend,
    SuggestBackend,
)

B = TypeVar("B", bound=Backend)


class BackendGroupError(ValueError):
    """A backend without groups, or a default group no backend belongs to."""


@dataclass(frozen=True)
class BackendGroup(Generic[B]):
    """All backends of one kind, indexed by group, with the default selection."""

    members: tuple[B, ...]
    defaults: tuple[B, ...]

    @classmethod
    def build(
        cls, members: Iterable[B], default_groups: Sequence[str] | None = None
    ) -> BackendGroup[B]:
        """Index ``members``; ``default_groups=None`` makes every member a default."""
        all_members = tuple(members)
        for member in all_members:
            if not member.groups:
                raise BackendGroupError(f"backend {member.id!r} does not belong to any groups")
        if default_groups is None:
            return cls(all_members, all_members)
        defaults: list[B] = []
        for group in default_groups:
            found = [m for m in all_members if group in m.groups]
            if not found:
                raise BackendGroupError(f"no backend(s) available with group: {group}")
            defaults.extend(m for m in found if m not in defaults)
        return cls(all_members, tuple(defaults))

    def names(self) -> frozenset[str]:
        """Every group name some member belongs to."""
        return frozenset(g for m in self.members for g in m.groups)

    def use(self, group: str | None = None) -> tuple[B, ...]:
        """Members of ``group`` (in configuration order), or the defaults when ``None``."""
        if group is None:
            return self.defaults
        return tuple(m for m in self.members if group in m.groups)

    def __iter__(self) -> Iterator[B]:
        return iter(self.members)

    def __len__(self) -> int:
        return len(self.members)


@dataclass(frozen=True)
class Backends:
    """Every configured backend of a node, by kind."""

    metrics: BackendGroup[MetricBackend] = field(default_factory=lambda: BackendGroup((), ()))
    metadata: BackendGroup[MetadataBackend] = field(default_factory=lambda: BackendGroup((), ()))
    suggest: BackendGroup[SuggestBackend] = field(default_factory=lambda: BackendGroup((), ()))

    def all(self) -> tuple[Backend, ...]:
        """Every backend, metrics first."""
        return (*self.metrics.members, *self.metadata.members, *self.suggest.members)

    async def configure(self, group: str | None = None) -> dict[str, ConfigureResult]:
        """Configure the backends of ``group`` (default groups when ``None``), keyed by id."""
        selected: list[Backend] = [
            *self.metrics.use(group),
            *self.metadata.use(group),
            *self.suggest.use(group),
        ]
        return {b.id: await b.configure() for b in selected}

    async def is_ready(self) -> dict[str, bool]:
        """Readiness of every backend, keyed by id."""
        return {b.id: await b.is_ready() for b in self.all()}

    async def close(self) -> None:
        """Close every backend, even if some fail; re-raises the first failure."""
        first: BaseException | None = None
        for backend in self.all():
            try:
                await backend.close()
            except Exception as exc:  # noqa: BLE001 - keep closing the others
                first = first or exc
        if first is not None:
            raise first
