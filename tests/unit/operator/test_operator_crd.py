"""The CRD file: generated from code, valid for the examples, in step with the spec models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from heroic_operator.crd import build_crd, render
from heroic_operator.spec import HeroicClusterSpec

ROOT = Path(__file__).resolve().parents[3]
CRD_FILE = ROOT / "crds" / "heroicclusters.heroic.dev.yaml"
INPUTS = sorted((ROOT / "tests" / "data" / "operator" / "input").glob("*.yaml"))


def _schema() -> dict[str, Any]:
    version = build_crd()["spec"]["versions"][0]
    return version["schema"]["openAPIV3Schema"]  # type: ignore[no-any-return]


def test_crd_file_is_the_generated_one() -> None:
    assert CRD_FILE.read_text() == render(), "regenerate: python -m heroic_operator.crd"


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.stem)
def test_examples_validate_against_the_schema(path: Path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), _schema())


def _model_fields(model: type[BaseModel]) -> set[str]:
    return {f.alias or name for name, f in model.model_fields.items()}


def _walk(schema: dict[str, Any], model: Any, path: str, out: list[str]) -> None:
    """Compare schema properties with pydantic fields, recursing into nested models."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return
    props = schema.get("properties")
    if props is None:
        return
    fields = _model_fields(model)
    if set(props) != fields:
        out.append(
            f"{path}: schema {sorted(set(props) - fields)} model {sorted(fields - set(props))}"
        )
    for name, field in model.model_fields.items():
        key = field.alias or name
        sub = props.get(key, {})
        sub = sub.get("items", sub)
        for candidate in _candidates(field.annotation):
            _walk(sub, candidate, f"{path}.{key}", out)


def _candidates(annotation: Any) -> list[Any]:
    args = getattr(annotation, "__args__", None)
    if args:
        return [c for a in args for c in _candidates(a)]
    return [annotation]


def test_schema_and_spec_models_have_the_same_fields() -> None:
    problems: list[str] = []
    _walk(_schema()["properties"]["spec"], HeroicClusterSpec, "spec", problems)
    assert problems == []


def test_printer_columns() -> None:
    columns = build_crd()["spec"]["versions"][0]["additionalPrinterColumns"]
    assert [c["name"] for c in columns] == ["Ready", "Reason", "API", "Consumers", "Paused", "Age"]


def test_status_is_a_subresource() -> None:
    assert build_crd()["spec"]["versions"][0]["subresources"] == {"status": {}}
