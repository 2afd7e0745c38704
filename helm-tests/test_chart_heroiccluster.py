"""The optional HeroicCluster from values: named, defaulted and installable on a first install."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from helm_utils import NAMESPACE, RELEASE, REPO_ROOT, RenderError, one, render_chart

from heroic_operator import naming

pytestmark = pytest.mark.helm

TEMPLATE = ["templates/heroiccluster.yaml"]
API_PRESENT = ["--api-versions", f"{naming.API_VERSION}/{naming.KIND}"]


def _cluster(values: dict[str, Any], extra_args: list[str] | None = None) -> dict[str, Any]:
    docs = render_chart(
        {"heroicCluster": {"enabled": True, **values}},
        show_only=TEMPLATE,
        extra_args=extra_args or [],
    )
    return one(docs, naming.KIND)


def test_cluster_is_named_after_the_release_in_the_release_namespace() -> None:
    metadata = _cluster({})["metadata"]
    assert (metadata["name"], metadata["namespace"]) == (RELEASE, NAMESPACE)


def test_cluster_name_can_be_set() -> None:
    assert _cluster({"name": "metrics"})["metadata"]["name"] == "metrics"


def test_cluster_image_defaults_to_the_chart_image() -> None:
    spec = _cluster({}, ["--set", "image.tag=dev"])["spec"]
    assert spec == {"image": "ghcr.io/heroic-on-kubernetes/heroic:dev"}


def test_cluster_spec_passes_through_with_its_own_image() -> None:
    spec = {
        "image": "registry.local/heroic:1",
        "api": {"replicas": 3},
        "backends": {"metrics": {"type": "memory"}},
    }
    assert _cluster({"spec": spec})["spec"] == spec


def test_cluster_is_kept_on_uninstall() -> None:
    annotations = _cluster({})["metadata"]["annotations"]
    assert annotations["helm.sh/resource-policy"] == "keep"


def test_first_install_creates_the_cluster_from_a_hook_that_helm_later_adopts() -> None:
    annotations = _cluster({})["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "post-install"
    assert annotations["helm.sh/hook-delete-policy"] == "hook-failed"
    assert annotations["meta.helm.sh/release-name"] == RELEASE
    assert annotations["meta.helm.sh/release-namespace"] == NAMESPACE


def test_cluster_is_an_ordinary_release_object_once_the_api_exists() -> None:
    annotations = _cluster({}, API_PRESENT)["metadata"]["annotations"]
    assert "helm.sh/hook" not in annotations
    assert annotations["helm.sh/resource-policy"] == "keep"


def test_cluster_labels_and_annotations_are_added() -> None:
    metadata = _cluster({"labels": {"team": "obs"}, "annotations": {"note": "x"}})["metadata"]
    assert metadata["labels"]["team"] == "obs"
    assert metadata["annotations"]["note"] == "x"


@pytest.mark.parametrize("name", ["a" * 31, "Upper", "9starts-with-digit"])
def test_cluster_names_the_crd_would_refuse_are_refused_by_the_schema(name: str) -> None:
    with pytest.raises(RenderError, match="heroicCluster/name"):
        _cluster({"name": name})


@pytest.mark.parametrize(
    "example", sorted((REPO_ROOT / "examples").glob("*.yaml")), ids=lambda p: p.name
)
def test_every_example_spec_is_accepted_as_values_and_rendered_unchanged(example: Path) -> None:
    bodies = [d for d in yaml.safe_load_all(example.read_text()) if d]
    assert bodies
    for body in bodies:  # federated-sites.yaml holds two clusters
        assert _cluster({"spec": body["spec"]})["spec"] == body["spec"]
