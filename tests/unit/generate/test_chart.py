"""The chart's values schema carries the CRD's spec schema, converted to strict JSON schema."""

from __future__ import annotations

import json

import pytest
import yaml

from heroic_generate.chart import crd_spec_schema, to_json_schema, values_schema
from heroic_generate.files import CRD_FILE, RBAC_COPY, RBAC_SOURCE, VALUES_SCHEMA


def test_rbac_copy_is_byte_identical_to_the_operators_rules() -> None:
    assert RBAC_COPY.read_bytes() == RBAC_SOURCE.read_bytes()


def test_values_schema_carries_the_crd_spec_schema_without_requiring_the_image() -> None:
    current = json.loads(VALUES_SCHEMA.read_text())
    spec = current["properties"]["heroicCluster"]["properties"]["spec"]
    crd = yaml.safe_load(CRD_FILE.read_text())
    assert spec["properties"] == crd_spec_schema(crd)["properties"]
    assert "image" not in spec.get("required", [])
    assert values_schema(current, crd) == current


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
