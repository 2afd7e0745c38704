"""A default install renders exactly the objects we document, all labelled and namespaced."""

from __future__ import annotations

import pytest
from helm_utils import NAMESPACE, RELEASE, kinds_and_names, render_chart

pytestmark = pytest.mark.helm

OPERATOR = f"{RELEASE}-heroic-operator"
CLUSTER_OPERATOR = f"{NAMESPACE}-{OPERATOR}"
CLUSTER_SCOPED = {"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"}


DEFAULT_OBJECTS = {
    ("CustomResourceDefinition", "heroicclusters.heroic.dev"),
    ("ServiceAccount", OPERATOR),
    ("Role", OPERATOR),
    ("RoleBinding", OPERATOR),
    ("Role", f"{OPERATOR}-leader"),
    ("RoleBinding", f"{OPERATOR}-leader"),
    ("ClusterRole", CLUSTER_OPERATOR),
    ("ClusterRoleBinding", CLUSTER_OPERATOR),
    ("Deployment", OPERATOR),
    ("Service", OPERATOR),
}


def test_default_install_renders_exactly_the_documented_objects() -> None:
    docs = render_chart()
    assert kinds_and_names(docs) == DEFAULT_OBJECTS
    assert len(docs) == len(DEFAULT_OBJECTS)


def test_default_install_puts_namespaced_objects_in_the_release_namespace() -> None:
    for doc in render_chart():
        namespace = doc["metadata"].get("namespace")
        if doc["kind"] in CLUSTER_SCOPED:
            assert namespace is None, doc["kind"]
        else:
            assert namespace == NAMESPACE, doc["kind"]


def test_every_object_carries_the_recommended_labels() -> None:
    for doc in render_chart():
        labels = doc["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "heroic", doc["kind"]
        assert labels["app.kubernetes.io/instance"] == RELEASE, doc["kind"]
        assert labels["app.kubernetes.io/managed-by"] == "Helm", doc["kind"]
        assert labels["helm.sh/chart"] == "heroic-0.1.0", doc["kind"]


def test_default_install_creates_no_heroiccluster_and_no_servicemonitor() -> None:
    kinds = {doc["kind"] for doc in render_chart()}
    assert not kinds & {"HeroicCluster", "ServiceMonitor"}
