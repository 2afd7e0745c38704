"""Which indices a document type is written to and read from, and its template pattern.

``rotating``: one index per time bucket, ``pattern`` with ``%s`` replaced by
``<type>-<bucket start ms>``; writes go to the newest ``maxWriteIndices`` buckets, reads to the
newest ``maxReadIndices`` (or, with ``supportDynamicMaxReadIndices``, as many as the query
range needs). ``single``: the index ``<index>-<type>``. Pure computation on the clock value it
is given; templates use ``<prefix>-<type>-*`` (reference 13.6: upstream's REST client
registered ``heroic-*`` for every type).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from heroic_core.config.elasticsearch import RotatingIndexConfig, SingleIndexConfig

IndexConfig = RotatingIndexConfig | SingleIndexConfig


@dataclass(frozen=True, slots=True)
class IndexScheme:
    """Index naming for one connection's ``index:`` settings."""

    config: IndexConfig

    @property
    def settings(self) -> dict[str, Any]:
        """The ``index.*`` settings configure puts into every template."""
        return dict(self.config.settings)

    def template_pattern(self, doc_type: str) -> str:
        if isinstance(self.config, SingleIndexConfig):
            return f"{self.config.index}-{doc_type}"
        return self.config.pattern.replace("%s", f"{doc_type}-*")

    def write_indices(self, doc_type: str, now: int) -> list[str]:
        if isinstance(self.config, SingleIndexConfig):
            return [f"{self.config.index}-{doc_type}"]
        return self._rotating(doc_type, now, self.config.max_write_indices)

    def read_indices(self, doc_type: str, now: int, start: int | None = None) -> list[str]:
        """Indices to search; ``start`` (ms) widens the set with dynamic read indices."""
        if isinstance(self.config, SingleIndexConfig):
            return [f"{self.config.index}-{doc_type}"]
        count = self.config.max_read_indices
        if self.config.support_dynamic_max_read_indices and start is not None:
            count = max(0, now - start) // self.config.interval.millis + 1
        return self._rotating(doc_type, now, count)

    def _rotating(self, doc_type: str, now: int, count: int) -> list[str]:
        assert isinstance(self.config, RotatingIndexConfig)  # noqa: S101 - callers check
        interval = self.config.interval.millis
        if interval <= 0:
            raise ValueError("rotating index interval must be positive")
        newest = now - now % interval
        pattern = self.config.pattern.replace("%s", f"{doc_type}-%s")
        buckets = (newest - interval * i for i in range(count))
        return [pattern.replace("%s", str(b)) for b in buckets if b >= 0]
