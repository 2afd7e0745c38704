"""The chart's copies of the operator's sources are current (run chart_sync.py to refresh)."""

from __future__ import annotations

import json

import pytest
from chart_sync import (
    RBAC_COPY,
    RBAC_SOURCE,
    VALUES_SCHEMA,
    crd_spec_schema,
    expected_values_schema,
    out_of_date,
    strays,
    to_json_schema,
)


def test_every_chart_copy_matches_its_source() -> None:
    stale = [str(p) for p in [*out_of_date(), *strays()]]
    assert stale == [], "run: python helm-tests/chart_sync.py"


def test_rbac_copy_is_byte_identical_to_the_operators_rules() -> None:
    assert RBAC_COPY.read_bytes() == RBAC_SOURCE.read_bytes()


def test_values_schema_carries_the_crd_spec_schema() -> None:
    current = json.loads(VALUES_SCHEMA.read_text())
    assert current == expected_values_schema()


def test_schema_conversion_closes_objects_and_keeps_open_maps_open() -> None:
    node = {
        "type": "object",
        "properties": {
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            "port": {"x-kubernetes-int-or-string": True},
        },
    }
    out = to_json_schema(node, "spec")
    assert out["additionalProperties"] is False
    assert out["properties"]["labels"]["additionalProperties"]["type"] == "string"
    assert out["properties"]["config"]["additionalProperties"] is True
    assert out["properties"]["port"]["type"] == ["integer", "string"]
    assert (
        out["properties"]["port"]["description"] == "HeroicCluster field spec.port (see the CRD)."
    )


def test_crd_spec_schema_uses_the_storage_version() -> None:
    def version(name: str, storage: bool, field: str) -> dict[str, object]:
        spec = {"type": "object", "properties": {field: {"type": "string"}}}
        return {
            "name": name,
            "storage": storage,
            "schema": {"openAPIV3Schema": {"properties": {"spec": spec}}},
        }

    crd = {"spec": {"versions": [version("v1", False, "old"), version("v2", True, "new")]}}
    assert list(crd_spec_schema(crd)["properties"]) == ["new"]


@pytest.mark.parametrize("keyword", ["oneOf", "anyOf"])
def test_schema_conversion_leaves_branches_without_properties_open(keyword: str) -> None:
    node = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        keyword: [{"required": ["a"]}],
    }
    assert to_json_schema(node, "spec")[keyword][0] == {
        "required": ["a"],
        "description": "HeroicCluster field spec (see the CRD).",
    }
