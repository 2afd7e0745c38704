"""build_backends turns the metrics/metadata/suggest sections into grouped backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from heroic_core.backends import factory
from heroic_core.backends.factory import BackendTypeUnavailableError, build_backends
from heroic_core.backends.memory import (
    MemoryMetadataBackend,
    MemoryMetricBackend,
    MemorySuggestBackend,
)
from heroic_core.config import ConfigError, HeroicConfig


def test_default_config_builds_memory_backends() -> None:
    backends = build_backends(HeroicConfig.default())
    assert [type(b) for b in backends.metrics] == [MemoryMetricBackend]
    assert [type(b) for b in backends.metadata] == [MemoryMetadataBackend]
    assert [type(b) for b in backends.suggest] == [MemorySuggestBackend]
    assert backends.metrics.members[0].groups == frozenset({"memory"})


def test_backend_ids_come_from_config_or_type_and_position() -> None:
    config = HeroicConfig.from_yaml(
        "metrics: {backends: [{type: memory, id: primary}, {type: memory, groups: b}]}"
    )
    backends = build_backends(config)
    assert [b.id for b in backends.metrics] == ["primary", "memory#1"]


def test_groups_select_backends_and_defaults_apply() -> None:
    config = HeroicConfig.from_yaml(
        """
metrics:
  defaultBackends: [fast]
  backends:
    - {type: memory, id: a, groups: [fast, all]}
    - {type: memory, id: b, groups: [all]}
"""
    )
    group = build_backends(config).metrics
    assert [b.id for b in group.use()] == ["a"]
    assert [b.id for b in group.use("all")] == ["a", "b"]
    assert group.use("unknown") == ()
    assert group.names() == frozenset({"fast", "all"})


def test_without_default_backends_every_backend_is_default() -> None:
    config = HeroicConfig.from_yaml(
        "metrics: {backends: [{type: memory, id: a}, {type: memory, id: b, groups: x}]}"
    )
    assert [b.id for b in build_backends(config).metrics.use()] == ["a", "b"]


def test_unknown_default_group_is_a_config_error() -> None:
    config = HeroicConfig.from_yaml(
        "metadata: {defaultBackends: [nope], backends: [{type: memory}]}"
    )
    with pytest.raises(ConfigError, match="no backend\\(s\\) available with group: nope"):
        build_backends(config)


def test_duplicate_ids_are_a_config_error() -> None:
    config = HeroicConfig.from_yaml(
        "suggest: {backends: [{type: memory, id: x}, {type: memory, id: x}]}"
    )
    with pytest.raises(ConfigError, match="duplicate backend id 'x'"):
        build_backends(config)


@pytest.mark.parametrize(
    ("section", "entry", "kind"),
    [
        ("metrics", "{type: bigtable, project: p}", "bigtable"),
        ("metrics", "{type: datastax}", "datastax"),
        ("metadata", "{type: elasticsearch}", "elasticsearch"),
        ("suggest", "{type: elasticsearch}", "elasticsearch"),
    ],
)
def test_types_without_implementation_module_say_so(
    monkeypatch: pytest.MonkeyPatch, section: str, entry: str, kind: str
) -> None:
    monkeypatch.setitem(
        factory.EXTERNAL_BUILDERS, (section, kind), "heroic_core.backends.absent_xyz:Backend"
    )
    config = HeroicConfig.from_yaml(f"{section}: {{backends: [{entry}]}}")
    with pytest.raises(BackendTypeUnavailableError, match=f"backend type {kind} is not available"):
        build_backends(config)


def test_module_without_the_builder_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        factory.EXTERNAL_BUILDERS, ("metrics", "datastax"), "heroic_core.model:NoSuchBackend"
    )
    config = HeroicConfig.from_yaml("metrics: {backends: [{type: datastax}]}")
    with pytest.raises(
        BackendTypeUnavailableError, match="datastax is not available in this build"
    ):
        build_backends(config)


def test_missing_dependency_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "needs_dep_xyz.py").write_text("import absent_client_library_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(factory.EXTERNAL_BUILDERS, ("metrics", "datastax"), "needs_dep_xyz:B")
    config = HeroicConfig.from_yaml("metrics: {backends: [{type: datastax}]}")
    with pytest.raises(BackendTypeUnavailableError, match="'absent_client_library_xyz'"):
        build_backends(config)


def test_external_builder_gets_config_with_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        factory.EXTERNAL_BUILDERS,
        ("metrics", "datastax"),
        "heroic_core.backends.memory.metric:MemoryMetricBackend",
    )
    seen: list[object] = []
    monkeypatch.setattr(
        "heroic_core.backends.memory.metric.MemoryMetricBackend",
        lambda config: seen.append(config) or MemoryMetricBackend(config.id, config.groups),
    )
    build_backends(HeroicConfig.from_yaml("metrics: {backends: [{type: datastax}]}"))
    assert [c.id for c in seen] == ["datastax#0"]  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_backends_lifecycle_helpers() -> None:
    backends = build_backends(HeroicConfig.default())
    configured = await backends.configure()
    assert set(configured) == {"memory#0"}
    assert all((await backends.is_ready()).values())
    await backends.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
