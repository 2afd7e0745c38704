"""The chart names and labels its objects exactly as the operator's naming.py would."""

from __future__ import annotations

import jmespath
import pytest
from helm_utils import one, render_chart

from heroic_operator import naming

pytestmark = pytest.mark.helm

# Release names stop at 53 characters; from 48 on, <release>-heroic-operator needs cutting.
RELEASES = ["r", "heroic", "a" * 47, "b" * 48, "team-" + "c" * 48]


CLUSTER_SCOPED = {"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}
NAMESPACES = ["heroic-system", "n" * 63]


@pytest.mark.parametrize("release", RELEASES, ids=lambda r: f"len{len(r)}")
def test_operator_objects_are_named_like_naming_fullname(release: str) -> None:
    expected = {naming.fullname(release, "operator"), naming.fullname(release, "operator-leader")}
    assert all(len(name) <= 63 for name in expected)
    docs = render_chart(name=release)
    names = {d["metadata"]["name"] for d in docs if d["kind"] not in CLUSTER_SCOPED}
    assert names == expected


@pytest.mark.parametrize("namespace", NAMESPACES, ids=lambda n: f"ns{len(n)}")
@pytest.mark.parametrize("release", RELEASES, ids=lambda r: f"len{len(r)}")
def test_cluster_scoped_objects_are_named_like_naming_cluster_scoped_name(
    release: str, namespace: str
) -> None:
    expected = naming.cluster_scoped_name(namespace, release, "operator")
    assert len(expected) <= 63
    docs = render_chart(name=release, namespace=namespace, show_only=["templates/rbac.yaml"])
    names = {d["metadata"]["name"] for d in docs if d["kind"].startswith("Cluster")}
    assert names == {expected}


@pytest.mark.parametrize("release", ["r", "heroic", "team-a-prod"])
def test_selector_labels_are_naming_selector_labels(release: str) -> None:
    deployment = one(render_chart(name=release), "Deployment")
    expected = naming.selector_labels(release, "operator")
    assert jmespath.search("spec.selector.matchLabels", deployment) == expected
    labels = jmespath.search("spec.template.metadata.labels", deployment)
    assert {k: labels[k] for k in expected} == expected


def test_selectors_use_only_name_instance_and_component() -> None:
    docs = render_chart({"serviceMonitor": {"enabled": True}})
    selectors = [
        jmespath.search("spec.selector.matchLabels", one(docs, "Deployment")),
        jmespath.search("spec.selector", one(docs, "Service")),
        jmespath.search("spec.selector.matchLabels", one(docs, "ServiceMonitor")),
    ]
    allowed = {naming.LABEL_NAME, naming.LABEL_INSTANCE, naming.LABEL_COMPONENT}
    for selector in selectors:
        assert set(selector) == allowed


def test_chart_labels_agree_with_naming_labels_except_who_manages_them() -> None:
    labels = one(render_chart(name="r"), "Deployment")["metadata"]["labels"]
    expected = naming.labels("r", "operator")
    del expected[naming.LABEL_MANAGED_BY]  # helm's objects are managed by Helm, not the operator
    assert {k: labels[k] for k in expected} == expected
    assert labels[naming.LABEL_MANAGED_BY] == "Helm"


def test_heroiccluster_uses_the_operators_group_version_and_kind() -> None:
    docs = render_chart({"heroicCluster": {"enabled": True}})
    cluster = one(docs, naming.KIND)
    assert cluster["apiVersion"] == naming.API_VERSION
    crd = one(docs, "CustomResourceDefinition")
    assert crd["metadata"]["name"] == f"{naming.PLURAL}.{naming.GROUP}"
