"""values.schema.json is strict and complete, values.yaml documented, and helm enforces both."""

from __future__ import annotations

import copy
import json
import re
import subprocess
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
import yaml
from helm_utils import CHART_DIR, RenderError, helm_binary, render_chart

pytestmark = pytest.mark.helm

SCHEMA: dict[str, Any] = json.loads((CHART_DIR / "values.schema.json").read_text())
VALUES_TEXT = (CHART_DIR / "values.yaml").read_text()
# Hand-written sub-schemas passed to Kubernetes unchecked (affinity terms, env valueFrom); the
# API server validates them. Under heroicCluster.spec, the open objects are the CRD's own
# preserve-unknown-fields blocks (make generate keeps that part equal to the CRD).
OPAQUE = {
    ".operator.affinity.nodeAffinity",
    ".operator.affinity.podAffinity",
    ".operator.affinity.podAntiAffinity",
    ".operator.extraEnv[items].valueFrom",
}


def _schemas(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, node
    for key, sub in node.get("properties", {}).items():
        yield from _schemas(sub, f"{path}.{key}")
    for keyword in ("items", "additionalProperties", "not"):
        if isinstance(node.get(keyword), dict):
            yield from _schemas(node[keyword], f"{path}[{keyword}]")
    for keyword in ("oneOf", "anyOf", "allOf"):
        for i, sub in enumerate(node.get(keyword, [])):
            yield from _schemas(sub, f"{path}[{keyword}{i}]")


def _closed(schema: dict[str, Any]) -> dict[str, Any]:
    forced = copy.deepcopy(schema)
    for _, node in _schemas(forced):
        if "properties" in node:
            node.setdefault("additionalProperties", False)
    return forced


def test_values_yaml_validates_against_the_schema_with_every_object_closed() -> None:
    jsonschema.validate(yaml.safe_load(VALUES_TEXT), _closed(SCHEMA))


def test_every_object_in_the_schema_says_whether_it_takes_unknown_keys() -> None:
    undecided = [
        path
        for path, node in _schemas(SCHEMA)
        if node.get("type") == "object" and "additionalProperties" not in node
    ]
    assert undecided == []


def test_only_opaque_kubernetes_blocks_take_unknown_keys() -> None:
    open_objects = {
        path
        for path, node in _schemas(SCHEMA)
        if node.get("additionalProperties") is True and not path.startswith(".heroicCluster.spec.")
    }
    assert open_objects == OPAQUE
    assert SCHEMA["additionalProperties"] is False


def test_every_schema_property_has_a_description() -> None:
    missing = [
        path
        for path, node in _schemas(SCHEMA)
        if path and not path.endswith("]") and not node.get("description")
    ]
    assert missing == []


def test_every_values_key_has_a_comment_line_above_it() -> None:
    undocumented = []
    previous = ""
    for number, line in enumerate(VALUES_TEXT.splitlines(), start=1):
        stripped = line.strip()
        if re.match(r"^[A-Za-z0-9_.-]+:", stripped) and not previous.startswith("#"):
            undocumented.append(f"{number}: {stripped}")
        if stripped:
            previous = stripped
    assert undocumented == []


def test_every_values_key_is_in_the_schema() -> None:
    def keys(values: dict[str, Any], schema: dict[str, Any], path: str) -> Iterator[str]:
        for key, value in values.items():
            sub = schema.get("properties", {}).get(key)
            if sub is None:
                yield f"{path}.{key}"
            elif isinstance(value, dict) and "properties" in sub:
                yield from keys(value, sub, f"{path}.{key}")

    assert list(keys(yaml.safe_load(VALUES_TEXT), SCHEMA, "")) == []


def test_every_values_key_is_in_the_docs_table() -> None:
    docs = (CHART_DIR.parents[1] / "docs" / "helm.md").read_text()
    values = yaml.safe_load(VALUES_TEXT)
    paths = [
        f"{key}.{sub}" if isinstance(value, dict) and value else key
        for key, value in values.items()
        for sub in (value if isinstance(value, dict) and value else [None])
    ]
    assert [p for p in paths if f"`{p}`" not in docs] == []


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"replicaCount": 2}, "at '': additional properties 'replicaCount' not allowed"),
        ({"operator": {"replica": 2}}, "at '/operator': additional properties 'replica'"),
        ({"image": {"respository": "x"}}, "at '/image': additional properties 'respository'"),
        ({"operator": {"port": "http"}}, "at '/operator/port': got string, want integer"),
        ({"operator": {"port": 70000}}, "at '/operator/port': maximum"),
        ({"operator": {"replicas": 0}}, "at '/operator/replicas': minimum"),
        ({"metrics": {"port": 9090}}, "at '/metrics': additional properties 'port'"),
        ({"rbac": {"clusterWide": "yes"}}, "at '/rbac/clusterWide': got string, want boolean"),
        ({"image": {"pullPolicy": "Sometimes"}}, "at '/image/pullPolicy': value must be one of"),
        ({"operator": {"logLevel": "loud"}}, "at '/operator/logLevel': value must be one of"),
        ({"operator": {"watchNamespaces": ["Not_A_Name"]}}, "'Not_A_Name' does not match"),
        ({"operator": {"podLabels": {"team": 3}}}, "at '/operator/podLabels/team': got number"),
        ({"serviceMonitor": {"interval": "soon"}}, "'soon' does not match"),
        ({"heroicCluster": {"spec": {"noSuchField": 1}}}, "additional properties 'noSuchField'"),
        (
            {"heroicCluster": {"spec": {"api": {"replicas": "two"}}}},
            "at '/heroicCluster/spec/api/replicas': got string, want integer",
        ),
    ],
)
def test_helm_rejects_bad_values_naming_the_problem(values: dict[str, Any], message: str) -> None:
    with pytest.raises(RenderError) as error:
        render_chart(values)
    assert "values don't meet the specifications of the schema" in error.value.stderr
    assert message in error.value.stderr


def test_helm_lint_is_clean_in_strict_mode() -> None:
    proc = subprocess.run(
        [helm_binary(), "lint", "--strict", str(CHART_DIR)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
