"""Storage backends: the interfaces (``base``), groups (``group``), implementations, factory.

Import concrete implementations from their modules; this package re-exports only the
interfaces and the container so that callers never depend on a particular store.
"""

from heroic_core.backends.base import MetadataBackend, MetricBackend, SuggestBackend
from heroic_core.backends.group import BackendGroup, Backends

__all__ = ["BackendGroup", "Backends", "MetadataBackend", "MetricBackend", "SuggestBackend"]
