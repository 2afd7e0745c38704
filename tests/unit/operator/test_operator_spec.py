"""The spec models reject what the CRD rejects, naming the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from heroic_operator.errors import InvalidSpec
from heroic_operator.spec import Cluster, parse_cluster

INVALID = Path(__file__).resolve().parents[2] / "data" / "operator" / "invalid"
# Rules on metadata (not the spec) are enforced by the CRD only.
CRD_ONLY = {"name-too-long.yaml"}


def _invalid_cases() -> list[Path]:
    return sorted(p for p in INVALID.glob("*.yaml") if p.name not in CRD_ONLY)


@pytest.mark.parametrize("path", _invalid_cases(), ids=lambda p: p.stem)
def test_invalid_manifest_is_rejected_by_the_spec_model(path: Path) -> None:
    body = yaml.safe_load(path.read_text())
    with pytest.raises(InvalidSpec) as raised:
        parse_cluster(body)
    assert str(raised.value).startswith("spec")


@pytest.mark.parametrize(
    ("name", "metadata_name"), [("memory", "mem"), ("full", "full"), ("cassandra", "cass")]
)
def test_example_inputs_parse(
    cluster: Callable[..., Cluster], name: str, metadata_name: str
) -> None:
    parsed = cluster(name)
    assert (parsed.name, parsed.namespace, parsed.uid) == (metadata_name, "ns", "uid-1")


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"consumers": [{"name": "a", "source": {}}]}, "exactly one of source.kafka"),
        ({"config": {"consumers": []}}, "config.consumers is set by the operator"),
        ({"config": {"metrics": {"backends": []}}}, "use spec.backends.metrics"),
        ({"api": {"replicas": -1}}, "spec.api.replicas"),
        ({"consumers": [{"name": "UPPER", "source": {"kafka": {}}}]}, "spec.consumers.0.name"),
        ({"api": {"disruptionBudget": {"maxUnavailable": 1, "minAvailable": 1}}}, "at most one"),
    ],
)
def test_spec_errors_name_the_field(spec: dict[str, Any], fragment: str) -> None:
    body = {"metadata": {"name": "x"}, "spec": {"image": "i", **spec}}
    with pytest.raises(InvalidSpec) as raised:
        parse_cluster(body)
    assert fragment in str(raised.value)


def test_duplicate_consumer_groups_are_rejected() -> None:
    group = {"name": "a", "source": {"kafka": {"bootstrapServers": ["k"], "topics": ["t"]}}}
    body = {"metadata": {"name": "x"}, "spec": {"image": "i", "consumers": [group, group]}}
    with pytest.raises(InvalidSpec, match="duplicate"):
        parse_cluster(body)


def test_defaults_match_the_crd_defaults(manifest: Callable[[str], dict[str, Any]]) -> None:
    spec = parse_cluster(manifest("memory")).spec
    assert spec.api.replicas == 2
    assert spec.consumers[0].replicas == 1
    assert spec.consumers[0].writes == ["metrics", "metadata", "suggest"]
    assert spec.backends.metrics.type == "memory"
    assert spec.configure.enabled
    assert spec.deletion_policy == "Retain"
