"""The CRD generated from the spec models: its envelope, and a schema the examples satisfy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from heroic_operator.crd import build_crd

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
    assert [c["name"] for c in columns] == ["Ready", "Reason", "API", "Consumers", "Paused", "Age"]


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
