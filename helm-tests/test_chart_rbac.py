"""Least-privilege RBAC rendered from the operator's own rules: per namespace or cluster-wide."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest
import yaml
from chart_sync import RBAC_COPY
from helm_utils import NAMESPACE, RELEASE, render_chart

pytestmark = pytest.mark.helm

RULES: dict[str, list[dict[str, Any]]] = yaml.safe_load(RBAC_COPY.read_text())
OPERATOR = f"{RELEASE}-heroic-operator"
RBAC = ["templates/rbac.yaml"]
SUBJECT = [{"kind": "ServiceAccount", "name": OPERATOR, "namespace": NAMESPACE}]


def _rbac(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return render_chart(values, show_only=RBAC)


def _of(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def test_default_grants_the_namespaced_rules_in_the_release_namespace_only() -> None:
    docs = _rbac()
    (role,) = _of(docs, "Role")
    (binding,) = _of(docs, "RoleBinding")
    assert (role["metadata"]["namespace"], role["rules"]) == (NAMESPACE, RULES["namespaced"])
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": OPERATOR,
    }
    assert binding["subjects"] == SUBJECT


def test_cluster_scoped_rules_go_into_a_cluster_role_of_their_own() -> None:
    cluster_roles = _of(_rbac(), "ClusterRole")
    assert [r["rules"] for r in cluster_roles] == (
        [RULES["cluster"]] if RULES.get("cluster") else []
    )


def test_each_watched_namespace_gets_a_role_bound_to_the_operator() -> None:
    docs = _rbac({"operator": {"watchNamespaces": ["team-a", "team-b"]}})
    assert [r["metadata"]["namespace"] for r in _of(docs, "Role")] == ["team-a", "team-b"]
    assert [b["metadata"]["namespace"] for b in _of(docs, "RoleBinding")] == ["team-a", "team-b"]
    assert all(b["subjects"] == SUBJECT for b in _of(docs, "RoleBinding"))


def test_cluster_wide_grants_every_rule_in_one_cluster_role() -> None:
    docs = _rbac({"rbac": {"clusterWide": True}})
    assert not _of(docs, "Role")
    assert not _of(docs, "RoleBinding")
    (role,) = _of(docs, "ClusterRole")
    assert role["rules"] == RULES["namespaced"] + RULES.get("cluster", [])
    (binding,) = _of(docs, "ClusterRoleBinding")
    assert jmespath.search("roleRef.kind", binding) == "ClusterRole"
    assert binding["subjects"] == SUBJECT


def test_rbac_create_off_renders_no_rbac_objects() -> None:
    docs = render_chart({"rbac": {"create": False}})
    kinds = {d["kind"] for d in docs}
    assert not kinds & {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}


def test_rbac_create_off_allows_watching_all_namespaces() -> None:
    values = {"rbac": {"create": False}, "operator": {"watchAllNamespaces": True}}
    assert render_chart(values, show_only=["templates/operator-deployment.yaml"])


def test_no_rule_grants_wildcards_or_escalation() -> None:
    for rule in RULES["namespaced"] + RULES.get("cluster", []):
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], rule
        assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"]), rule


def test_secrets_are_only_read() -> None:
    verbs = {v for r in RULES["namespaced"] if "secrets" in r["resources"] for v in r["verbs"]}
    assert verbs <= {"get", "list", "watch"}
