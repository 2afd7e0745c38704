"""The rendered chart is accepted by a real API server (server-side dry run, nothing stored).

Runs against the test environment's control plane: the canonical CRD is applied first (so a
HeroicCluster from values can be checked too), and every namespace is a throwaway one. The
ServiceMonitor is left out: the local control plane has no prometheus-operator CRDs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jmespath
import pytest
import yaml
from helm_utils import one, render_chart, template_output
from kube_utils import dry_run_apply, kubectl

from heroic_operator import naming

pytestmark = [pytest.mark.helm, pytest.mark.kubernetes]

RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


def _accepted(values: dict[str, Any], namespace: str, extra: list[str] | None = None) -> str:
    manifests = template_output(values, namespace=namespace, extra_args=extra or [])
    proc = dry_run_apply(manifests)
    assert proc.returncode == 0, proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr
    return proc.stdout


def test_default_install_is_accepted(heroic_crd: str, namespace: str) -> None:
    out = _accepted({}, namespace)
    assert "deployment.apps/release-heroic-operator serverside-applied (server dry run)" in out
    assert f"customresourcedefinition.apiextensions.k8s.io/{heroic_crd} serverside-applied" in out


def test_install_with_every_toggle_is_accepted(
    heroic_crd: str, namespace_factory: Callable[..., str]
) -> None:
    namespace = namespace_factory()
    values = {
        "operator": {
            "watchAllNamespaces": True,
            "logLevel": "debug",
            "extraArgs": ["--verbose"],
            "extraEnv": [{"name": "A", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [
                {"key": "dedicated", "operator": "Equal", "value": "obs", "effect": "NoSchedule"}
            ],
            "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 1, "preference": {"matchExpressions": [
                    {"key": "zone", "operator": "In", "values": ["a"]}]}}]}},
            "podLabels": {"team": "obs"},
            "podAnnotations": {"example.com/note": "x"},
        },
        "rbac": {"clusterWide": True},
        "serviceAccount": {"annotations": {"iam.gke.io/gcp-service-account": "op@p.iam"}},
        "imagePullSecrets": [{"name": "regcred"}],
        "grafana": {"dashboards": {"enabled": True, "annotations": {"grafana_folder": "Heroic"}}},
        "heroicCluster": {
            "enabled": True,
            "name": "demo",
            "spec": {"api": {"replicas": 1}, "backends": {"metrics": {"type": "memory"}}},
        },
    }  # fmt: skip
    api = ["--api-versions", f"{naming.API_VERSION}/{naming.KIND}"]
    out = _accepted(values, namespace, api)
    cluster_role = naming.cluster_scoped_name(namespace, "release", "operator")
    assert f"clusterrole.rbac.authorization.k8s.io/{cluster_role}" in out
    assert f"heroiccluster.{naming.GROUP}/demo serverside-applied" in out
    assert "configmap/release-heroic-dashboards serverside-applied" in out


def test_roles_in_every_watched_namespace_are_accepted(
    heroic_crd: str, namespace_factory: Callable[..., str]
) -> None:
    home, team_a, team_b = namespace_factory(), namespace_factory(), namespace_factory()
    out = _accepted({"operator": {"watchNamespaces": [team_a, team_b]}}, home)
    lines = out.splitlines()
    role = "role.rbac.authorization.k8s.io/release-heroic-operator serverside-applied"
    assert sum(line.startswith(role) for line in lines) == 2, out


def test_metrics_off_and_existing_service_account_are_accepted(
    heroic_crd: str, namespace: str
) -> None:
    values = {"metrics": {"enabled": False}, "serviceAccount": {"create": False, "name": "x"}}
    _accepted(values, namespace)


def _operator_pod(values: dict[str, Any]) -> str:
    deployment = one(
        render_chart(values, show_only=["templates/operator-deployment.yaml"]), "Deployment"
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "operator-pod",
            **jmespath.search("spec.template.metadata", deployment),
        },
        "spec": jmespath.search("spec.template.spec", deployment),
    }
    pod["spec"]["serviceAccountName"] = "default"
    return yaml.safe_dump(pod)


def test_operator_pod_is_admitted_where_restricted_is_enforced(
    namespace_factory: Callable[..., str],
) -> None:
    namespace = namespace_factory(labels=RESTRICTED)
    proc = kubectl(
        "create",
        "--dry-run=server",
        "-n",
        namespace,
        "-f",
        "-",
        stdin=_operator_pod({}),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_restricted_enforcement_refuses_a_weakened_operator_pod(
    namespace_factory: Callable[..., str],
) -> None:
    namespace = namespace_factory(labels=RESTRICTED)
    weakened = {"operator": {"securityContext": {"allowPrivilegeEscalation": True}}}
    proc = kubectl(
        "create",
        "--dry-run=server",
        "-n",
        namespace,
        "-f",
        "-",
        stdin=_operator_pod(weakened),
        check=False,
    )
    assert proc.returncode != 0
    assert 'violates PodSecurity "restricted' in proc.stderr
