"""Least-privilege RBAC rendered from the operator's own rules: per namespace or cluster-wide."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest
import yaml
from helm_utils import NAMESPACE, RELEASE, render_chart

from heroic_generate.files import RBAC_COPY

pytestmark = pytest.mark.helm

SOURCE = {d["metadata"]["name"]: d["rules"] for d in yaml.safe_load_all(RBAC_COPY.read_text())}
NAMESPACED, CLUSTER, LEADER = (
    SOURCE["heroic-operator"],
    SOURCE["heroic-operator-cluster"],
    SOURCE["heroic-operator-leader"],
)
OPERATOR = f"{RELEASE}-heroic-operator"
LEADER_ROLE = f"{RELEASE}-heroic-operator-leader"
CLUSTER_ROLE = f"{NAMESPACE}-{OPERATOR}"
RBAC = ["templates/rbac.yaml"]
SUBJECT = [{"kind": "ServiceAccount", "name": OPERATOR, "namespace": NAMESPACE}]


def _rbac(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    return render_chart(values, show_only=RBAC)


def _of(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def _named(docs: list[dict[str, Any]], kind: str, name: str) -> list[dict[str, Any]]:
    return [d for d in _of(docs, kind) if d["metadata"]["name"] == name]


def test_default_grants_the_namespaced_rules_in_the_release_namespace_only() -> None:
    docs = _rbac()
    (role,) = _named(docs, "Role", OPERATOR)
    (binding,) = _named(docs, "RoleBinding", OPERATOR)
    assert (role["metadata"]["namespace"], role["rules"]) == (NAMESPACE, NAMESPACED)
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": OPERATOR,
    }
    assert binding["subjects"] == SUBJECT


def test_cluster_scoped_reads_go_into_a_cluster_role_of_their_own() -> None:
    docs = _rbac()
    assert [r["rules"] for r in _of(docs, "ClusterRole")] == [CLUSTER]
    (binding,) = _of(docs, "ClusterRoleBinding")
    assert (binding["roleRef"]["name"], binding["subjects"]) == (CLUSTER_ROLE, SUBJECT)


def _cluster_names(namespace: str, release: str = RELEASE) -> set[str]:
    docs = render_chart(show_only=RBAC, name=release, namespace=namespace)
    return {d["metadata"]["name"] for d in docs if d["kind"].startswith("Cluster")}


def test_one_release_name_in_two_namespaces_gets_distinct_cluster_scoped_objects() -> None:
    team_a, team_b = _cluster_names("team-a"), _cluster_names("team-b")
    assert team_a == {f"team-a-{OPERATOR}"}
    assert team_b == {f"team-b-{OPERATOR}"}


def test_long_cluster_scoped_names_stay_within_63_characters_and_distinct() -> None:
    release = "r" * 40
    long_a, long_b = (
        _cluster_names("n" * 30 + "-a", release),
        _cluster_names("n" * 30 + "-b", release),
    )
    assert all(len(name) <= 63 for name in long_a | long_b)
    assert long_a.isdisjoint(long_b)


def test_leader_election_gets_the_lease_rules_in_the_release_namespace() -> None:
    docs = _rbac()
    (role,) = _named(docs, "Role", LEADER_ROLE)
    (binding,) = _named(docs, "RoleBinding", LEADER_ROLE)
    assert (role["metadata"]["namespace"], role["rules"]) == (NAMESPACE, LEADER)
    assert binding["subjects"] == SUBJECT


def test_no_lease_role_without_leader_election() -> None:
    docs = _rbac({"operator": {"leaderElection": {"enabled": False}}})
    assert not _named(docs, "Role", LEADER_ROLE)


def test_each_watched_namespace_gets_a_role_bound_to_the_operator() -> None:
    docs = _rbac({"operator": {"watchNamespaces": ["team-a", "team-b"]}})
    roles = _named(docs, "Role", OPERATOR)
    bindings = _named(docs, "RoleBinding", OPERATOR)
    assert [r["metadata"]["namespace"] for r in roles] == ["team-a", "team-b"]
    assert [b["metadata"]["namespace"] for b in bindings] == ["team-a", "team-b"]
    assert all(b["subjects"] == SUBJECT for b in bindings)


def test_cluster_wide_grants_the_namespaced_and_cluster_rules_in_one_cluster_role() -> None:
    docs = _rbac({"rbac": {"clusterWide": True}})
    assert not _named(docs, "Role", OPERATOR)
    assert not _named(docs, "RoleBinding", OPERATOR)
    (role,) = _of(docs, "ClusterRole")
    assert role["rules"] == NAMESPACED + CLUSTER
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
    for rule in NAMESPACED + CLUSTER + LEADER:
        assert "*" not in rule["verbs"] + rule["resources"] + rule["apiGroups"], rule
        assert not {"escalate", "bind", "impersonate"} & set(rule["verbs"]), rule


def test_secrets_are_only_read() -> None:
    verbs = {v for r in NAMESPACED if "secrets" in r["resources"] for v in r["verbs"]}
    assert verbs <= {"get", "list", "watch"}
