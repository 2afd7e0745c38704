"""The CRD generated from the spec models: its envelope, a schema the examples satisfy, and
the generator's structural form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import Field, ValidationError

from heroic_operator.crd import build_crd
from heroic_operator.spec.common import Resources, SpecModel
from heroic_operator.spec.markers import Opaque, Quantity, crd_default
from heroic_operator.spec.schema import openapi_schema

ROOT = Path(__file__).resolve().parents[3]
INPUTS = sorted((ROOT / "tests" / "data" / "operator" / "input").glob("*.yaml"))


def _schema() -> dict[str, Any]:
    version = build_crd()["spec"]["versions"][0]
    return version["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_examples_validate_against_the_schema(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), _schema())


def test_printer_columns() -> None:
    columns = build_crd()["spec"]["versions"][0]["additionalPrinterColumns"]
    assert [c["name"] for c in columns] == [
        "Ready",
        "Reason",
        "API",
        "Consumers",
        "Shards",
        "Paused",
        "Age",
    ]


def test_printer_columns_name_declared_fields() -> None:
    schema = _schema()
    for column in build_crd()["spec"]["versions"][0]["additionalPrinterColumns"]:
        path = column["jsonPath"].split("[")[0].strip(".").split(".")
        if path[0] == "metadata":  # ObjectMeta: the API server's, not declared in the schema
            continue
        node = schema
        for key in path:
            node = node["properties"][key]
        assert node["type"] in ("object", "array", column["type"]), column


def test_status_is_a_subresource() -> None:
    assert build_crd()["spec"]["versions"][0]["subresources"] == {"status": {}}


class _Inner(SpecModel):
    """The model's own description"""

    size: int = Field(default=3, ge=1)
    """How many"""


class _Outer(SpecModel):
    inner: _Inner | None = None
    """The field's description"""
    items: list[_Inner] = Field(default_factory=list, json_schema_extra=crd_default([]))
    free: Opaque | None = None
    amount: Quantity | None = None


def test_generated_schema_is_structural() -> None:
    schema = openapi_schema(_Outer)
    inner = schema["properties"]["inner"]
    assert inner == {
        "type": "object",
        "description": "The field's description",
        "properties": {
            "size": {"type": "integer", "description": "How many", "minimum": 1, "default": 3}
        },
    }
    assert schema["properties"]["items"]["items"]["description"] == "The model's own description"
    assert schema["properties"]["items"]["default"] == []
    assert schema["properties"]["free"] == {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }
    assert schema["properties"]["amount"]["x-kubernetes-int-or-string"] is True
    assert "null" not in json.dumps(schema)


def test_generator_refuses_a_keyword_structural_schemas_lack() -> None:
    class Tags(SpecModel):
        tags: set[str] = Field(default_factory=set)  # uniqueItems: not allowed in a CRD

    with pytest.raises(ValueError, match=r"Tags\.tags: .*uniqueItems"):
        openapi_schema(Tags)


@pytest.mark.parametrize("value", ["1Gi", "500m", 2, "0.5"])
def test_quantities_the_crd_accepts_are_accepted(value: int | str) -> None:
    assert Resources(requests={"cpu": value}).requests["cpu"] == value


@pytest.mark.parametrize("value", ["1 Gi", "lots", "1Gi\n"])
def test_quantities_the_crd_refuses_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="quantity"):
        Resources(requests={"cpu": value})
