"""Build the configured backends from a ``HeroicConfig`` (dispatch on each backend's ``type``).

A type whose implementation module is not part of this build raises ``BackendTypeUnavailableError``
naming it; implementations register here by module path, so adding one is a one-line change.
Backends are created, not started: call ``configure()``/``is_ready()`` on the result.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from heroic_core.backends.base import MetadataBackend, MetricBackend, SuggestBackend
from heroic_core.backends.group import BackendGroup, BackendGroupError, Backends
from heroic_core.backends.memory import (
    MemoryMetadataBackend,
    MemoryMetricBackend,
    MemorySuggestBackend,
)
from heroic_core.config import (
    ConfigError,
    HeroicConfig,
    MemoryMetadataConfig,
    MemoryMetricConfig,
    MemorySuggestConfig,
)
from heroic_core.config.common import BackendConfig
from heroic_core.errors import HeroicError

T = TypeVar("T")

#: ``(section, type)`` -> ``"module:attribute"``: a class or function taking the backend's
#: config (with ``id`` filled in) for implementations that live outside this module and may
#: need optional dependencies. Imported only when a config uses that type.
EXTERNAL_BUILDERS: dict[tuple[str, str], str] = {
    ("metrics", "bigtable"): "heroic_core.backends.bigtable.backend:BigtableMetricBackend",
    ("metrics", "datastax"): "heroic_core.backends.cassandra.backend:CassandraMetricBackend",
    ("metadata", "elasticsearch"): (
        "heroic_core.backends.elasticsearch.metadata:ElasticsearchMetadataBackend"
    ),
    ("suggest", "elasticsearch"): (
        "heroic_core.backends.elasticsearch.suggest:ElasticsearchSuggestBackend"
    ),
}


class BackendTypeUnavailableError(HeroicError):
    """The configured backend type has no implementation in this build."""


def _memory_metric(config: MemoryMetricConfig) -> MetricBackend:
    return MemoryMetricBackend(config.id or "memory", config.groups)


def _memory_metadata(config: MemoryMetadataConfig) -> MetadataBackend:
    return MemoryMetadataBackend(config.id or "memory", config.groups)


def _memory_suggest(config: MemorySuggestConfig) -> SuggestBackend:
    return MemorySuggestBackend(
        config.id or "memory", config.groups, config.effective_num_suggestions_limit()
    )


LOCAL_BUILDERS: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("metrics", "memory"): _memory_metric,
    ("metadata", "memory"): _memory_metadata,
    ("suggest", "memory"): _memory_suggest,
}


def _load_external(section: str, kind: str) -> Callable[[Any], Any]:
    unavailable = BackendTypeUnavailableError(f"backend type {kind} is not available in this build")
    target = EXTERNAL_BUILDERS.get((section, kind))
    if target is None:
        raise unavailable
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module_name.startswith(exc.name):
            raise unavailable from None
        raise BackendTypeUnavailableError(
            f"backend type {kind} needs the Python package {exc.name!r}; "
            "install the 'backends' extra"
        ) from None
    builder: Callable[[Any], Any] | None = getattr(module, attribute, None)
    if builder is None:
        raise unavailable
    return builder


def build_backend(section: str, config: BackendConfig, index: int) -> Any:
    """One backend of ``section`` (metrics/metadata/suggest); a missing ``id`` becomes
    ``<type>#<index>``."""
    kind: str = getattr(config, "type", "")
    builder = LOCAL_BUILDERS.get((section, kind)) or _load_external(section, kind)
    if config.id is None:
        config = config.model_copy(update={"id": f"{kind}#{index}"})
    return builder(config)


def _build_group(
    section: str, configs: Sequence[BackendConfig], defaults: list[str] | None
) -> BackendGroup[Any]:
    backends = [build_backend(section, c, i) for i, c in enumerate(configs)]
    seen: set[str] = set()
    for backend in backends:
        if backend.id in seen:
            raise ConfigError(f"{section}.backends: duplicate backend id {backend.id!r}")
        seen.add(backend.id)
    try:
        return BackendGroup.build(backends, defaults)
    except BackendGroupError as exc:
        raise ConfigError(f"{section}.defaultBackends: {exc}") from None


def build_backends(config: HeroicConfig) -> Backends:
    """Every metric, metadata and suggest backend of ``config``, grouped."""
    return Backends(
        metrics=_build_group("metrics", config.metrics.backends, config.metrics.default_backends),
        metadata=_build_group(
            "metadata", config.metadata.backends, config.metadata.default_backends
        ),
        suggest=_build_group("suggest", config.suggest.backends, config.suggest.default_backends),
    )
