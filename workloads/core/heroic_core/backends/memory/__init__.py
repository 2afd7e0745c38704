"""In-process backends (``type: memory``) for metrics, metadata and suggestions.

They implement the Protocols of ``heroic_core.backends.base`` with the semantics every other
backend must share (checked by ``tests/contract``). Nothing is persisted.
"""

from heroic_core.backends.memory.metadata import MemoryMetadataBackend
from heroic_core.backends.memory.metric import MemoryMetricBackend
from heroic_core.backends.memory.suggest import MemorySuggestBackend

__all__ = ["MemoryMetadataBackend", "MemoryMetricBackend", "MemorySuggestBackend"]
