"""Fixtures for the operator's unit tests: HeroicCluster manifests from tests/data/operator."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from heroic_operator.spec import Cluster, parse_cluster

DATA = Path(__file__).resolve().parents[2] / "data" / "operator"


def load_manifest(name: str) -> dict[str, Any]:
    """A manifest from tests/data/operator/input with namespace and uid filled in."""
    body: dict[str, Any] = yaml.safe_load((DATA / "input" / f"{name}.yaml").read_text())
    body["metadata"] |= {"namespace": "ns", "uid": "uid-1", "generation": 1}
    return body


@pytest.fixture
def manifest() -> Callable[[str], dict[str, Any]]:
    return load_manifest


@pytest.fixture
def cluster() -> Callable[..., Cluster]:
    """``cluster(name, **spec_overrides)``: a parsed cluster, spec keys replaced at top level."""

    def make(name: str, **spec: Any) -> Cluster:
        body = load_manifest(name)
        body["spec"] |= spec
        return parse_cluster(body)

    return make
