"""Helpers shared by the contract suites: per-test scoping of series and filters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from heroic_core.backends.base import BulkIndexWriter
from heroic_core.filters import And, Filter, MatchTag
from heroic_core.model import DateRange, Series

SCOPE_TAG = "contract"

#: A range that covers every write of the suites (metadata/suggest ignore it in practice).
WIDE_RANGE = DateRange(0, 2**62)


@dataclass(frozen=True)
class Scope:
    """One test's namespace: series built here carry ``contract=<run>``."""

    # Digits only after "run": a hex id can hold a word a suggest test searches for ("db...")
    run: str = field(default_factory=lambda: f"run{uuid.uuid4().int % 10**12:012d}")

    def series(
        self,
        key: str,
        tags: dict[str, str] | None = None,
        resource: dict[str, str] | None = None,
    ) -> Series:
        """A series of this scope (the scope tag is added to ``tags``)."""
        return Series(key, {**(tags or {}), SCOPE_TAG: self.run}, resource)

    @property
    def all(self) -> Filter:
        """Matches exactly this scope's series."""
        return MatchTag(SCOPE_TAG, self.run)

    def where(self, *terms: Filter) -> Filter:
        """This scope's series that also match every term."""
        return And((self.all, *terms))

    def key(self, name: str) -> str:
        """A series key unique to this scope (for stores that share keys across tests)."""
        return f"{name}-{self.run}"


async def write_all(backend: Any, written: list[Series]) -> None:
    """The first series through ``write``, the rest through ``write_many`` where the backend
    has it (Elasticsearch's ``_bulk``), so every contract test covers both paths."""
    await backend.write(written[0], WIDE_RANGE)
    rest = [(s, WIDE_RANGE) for s in written[1:]]
    if isinstance(backend, BulkIndexWriter):
        await backend.write_many(rest)
    else:
        for series, range_ in rest:
            await backend.write(series, range_)
