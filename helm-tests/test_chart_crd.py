"""The chart installs the canonical CRD as a template: upgraded by helm, kept on uninstall."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from helm_utils import one, render_chart

from heroic_generate.files import CHART_CRD, CRD_FILE

pytestmark = pytest.mark.helm

CRD = ["templates/crd.yaml"]


def _rendered_crd(values: dict[str, Any] | None = None) -> dict[str, Any]:
    return one(render_chart(values, show_only=CRD), "CustomResourceDefinition")


def _without_helm_metadata(crd: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(crd)
    stripped["metadata"].pop("labels", None)
    stripped["metadata"].pop("annotations", None)
    return stripped


def test_chart_copy_of_the_crd_is_byte_identical_to_the_canonical_one() -> None:
    assert CHART_CRD.read_bytes() == CRD_FILE.read_bytes()


def test_rendered_crd_is_the_canonical_crd_plus_helm_metadata() -> None:
    canonical = yaml.safe_load(CRD_FILE.read_text())
    assert _without_helm_metadata(_rendered_crd()) == _without_helm_metadata(canonical)


def test_rendered_crd_keeps_the_canonical_labels_and_annotations() -> None:
    canonical = yaml.safe_load(CRD_FILE.read_text())["metadata"]
    rendered = _rendered_crd()["metadata"]
    assert canonical.get("labels", {}).items() <= rendered["labels"].items()
    assert canonical.get("annotations", {}).items() <= rendered["annotations"].items()


def test_crd_is_kept_on_uninstall_by_default() -> None:
    annotations = _rendered_crd()["metadata"]["annotations"]
    assert annotations["helm.sh/resource-policy"] == "keep"


def test_crd_keep_can_be_turned_off() -> None:
    annotations = _rendered_crd({"crds": {"keep": False}})["metadata"].get("annotations", {})
    assert "helm.sh/resource-policy" not in annotations


def test_crd_is_not_rendered_when_managed_elsewhere() -> None:
    docs = render_chart({"crds": {"install": False}})
    assert not [d for d in docs if d["kind"] == "CustomResourceDefinition"]


def test_chart_has_no_crds_directory_that_helm_would_never_upgrade() -> None:
    assert not (CHART_CRD.parents[2] / "crds").exists()
