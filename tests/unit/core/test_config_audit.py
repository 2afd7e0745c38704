"""Every heroic.yml key does what it says, or is refused, or is warned about with its path.

The walk: every field of every model reachable from ``HeroicConfig`` must be read somewhere in
the workloads (an attribute access, or its name as a string outside the config package, as
``getattr`` and ``model_dump`` readers use it), or be named in ``NO_EFFECT`` (warned about at
start), or be refused when set (``REFUSED`` below, each checked to raise)."""

from __future__ import annotations

import ast
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from heroic_core.config import ConfigError, HeroicConfig
from heroic_core.config.audit import NO_EFFECT, no_effect_warnings

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("workloads/core/heroic_core", "workloads/api/heroic_api",
           "workloads/consumer/heroic_consumer", "workloads/cli/heroic_cli")  # fmt: skip
#: Discriminators and keys read by pydantic itself.
STRUCTURAL = {"type"}
_KAFKA = {
    "type": "kafka",
    "topics": ["t"],
    "schema": "com.spotify.heroic.consumer.schemas.Spotify100",
}
#: ``<model>.<field>`` -> (a config that sets it, which loading must refuse; the path named).
REFUSED: dict[str, tuple[dict[str, Any], str]] = {
    "TracingConfig.lightstep": ({"tracing": {"lightstep": {"collectorHost": "x"}}}, "tracing."),
    "TracingConfig.squash": ({"tracing": {"squash": {"threshold": 1}}}, "tracing.squash"),
    "TracingConfig.zpages_port": ({"tracing": {"zpagesPort": 8080}}, "tracing.zpagesPort"),
    "KafkaConsumerConfig.threads_per_topic": (
        {"consumers": [{**_KAFKA, "threadsPerTopic": 2}]},
        "consumers[0].threadsPerTopic",
    ),
}
#: Refused when the backend is built (at the node's start), not when the file loads.
REFUSED_AT_BUILD = {
    "ServiceAccountCredentials.service_account": "bigtable service-account (P12) credentials",
    "ServiceAccountCredentials.key_file": "bigtable service-account (P12) credentials",
}


def _read_names() -> set[str]:
    names: set[str] = set()
    for root in SOURCES:
        for path in (ROOT / root).rglob("*.py"):
            in_config = "/config/" in str(path)
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Attribute):
                    names.add(node.attr)
                elif (
                    not in_config and isinstance(node, ast.Constant) and isinstance(node.value, str)
                ):
                    names.add(node.value)
    return names


def _models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _fields() -> list[tuple[str, str, bool]]:
    """(``<Model>.<field>``, field name, whether a ``NO_EFFECT`` field above it covers it) of
    every reachable field: the keys inside a section without effect have none either."""
    seen: dict[type[BaseModel], bool] = {}
    out = []
    todo: list[tuple[type[BaseModel], bool]] = [(HeroicConfig, False)]
    while todo:
        model, covered = todo.pop()
        if model in seen and (seen[model] or not covered):
            continue
        seen[model] = covered
        for name, field in model.model_fields.items():
            key = f"{model.__name__}.{name}"
            out.append((key, name, covered))
            below = covered or key in NO_EFFECT
            todo += [(m, below) for m in _models(field.annotation)]
    # a field reachable both inside and outside a no-effect section counts as uncovered
    uncovered = {k for k, _, c in out if not c}
    return [(k, n, c and k not in uncovered) for k, n, c in out]


def test_every_key_is_read_refused_or_warned_about() -> None:
    read = _read_names()
    silent = sorted({
        key for key, name, covered in _fields()
        if not covered and name not in read and name not in STRUCTURAL and key not in NO_EFFECT
        and key not in REFUSED and key not in REFUSED_AT_BUILD
    })  # fmt: skip
    assert silent == [], f"keys no code reads and no warning names: {silent}"


def test_the_tables_name_real_fields() -> None:
    known = {key for key, _, _ in _fields()}
    for table in (NO_EFFECT, REFUSED, REFUSED_AT_BUILD):
        assert set(table) <= known, set(table) - known


@pytest.mark.parametrize("key", sorted(REFUSED))
def test_refused_keys_are_refused_naming_their_path(key: str) -> None:
    config, path = REFUSED[key]
    with pytest.raises(ConfigError) as raised:
        HeroicConfig.from_dict(config)
    assert path in str(raised.value)


def test_service_account_credentials_are_refused_when_the_backend_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Against an emulator the client takes no credentials at all: test the real path.
    monkeypatch.delenv("BIGTABLE_EMULATOR_HOST", raising=False)
    from heroic_core.backends.bigtable.connection import credentials_for  # noqa: PLC0415
    from heroic_core.backends.errors import BackendRejectedError  # noqa: PLC0415

    config = HeroicConfig.from_dict(
        {"metrics": {"backends": [{"type": "bigtable", "project": "p", "credentials": {
            "type": "service-account", "serviceAccount": "a", "keyFile": "k"}}]}}
    )  # fmt: skip
    with pytest.raises(BackendRejectedError, match="service-account"):
        credentials_for(config.metrics.backends[0])  # type: ignore[arg-type]


def test_keys_without_effect_are_warned_about_with_their_paths() -> None:
    config = HeroicConfig.from_dict(
        {
            "startTimeout": "1m",
            "statistics": {"enabled": True},
            "metrics": {"backends": [
                {"type": "memory"},
                {"type": "datastax", "retryPolicy": "aggressive",
                 "poolingOptions": {"maxQueueSize": 10}},
            ]},
        }
    )  # fmt: skip
    warnings = no_effect_warnings(config)
    assert (
        "startTimeout has no effect: nodes start their backends without an overall deadline"
        in warnings
    )
    assert any(w.startswith("metrics.backends[1].retryPolicy has no effect: ") for w in warnings)
    assert any(w.startswith("metrics.backends[1].poolingOptions has no effect: ") for w in warnings)
    assert any(w.startswith("statistics has no effect: ") for w in warnings)
    assert no_effect_warnings(HeroicConfig.default()) == []


def test_the_compatibility_doc_lists_every_key_without_effect() -> None:
    text = (ROOT / "docs" / "compatibility.md").read_text()
    section = text.split("## Keys accepted without effect", 1)[1]
    for key in NO_EFFECT:
        assert f"| `{key.split('.')[0]}` |" in section, key
