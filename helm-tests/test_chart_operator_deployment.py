"""The operator Deployment: one replica, the right arguments, and every pod-level toggle."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest
from helm_utils import NAMESPACE, RenderError, one, render_chart

pytestmark = pytest.mark.helm

DEPLOYMENT = ["templates/operator-deployment.yaml"]


def _deployment(values: dict[str, Any] | None = None) -> dict[str, Any]:
    return one(render_chart(values, show_only=DEPLOYMENT), "Deployment")


def _args(values: dict[str, Any] | None = None) -> list[str]:
    args: list[str] = jmespath.search("spec.template.spec.containers[0].args", _deployment(values))
    return args


def test_operator_runs_one_replica_with_recreate_so_two_never_overlap() -> None:
    deployment = _deployment()
    assert jmespath.search("spec.replicas", deployment) == 1
    assert jmespath.search("spec.strategy.type", deployment) == "Recreate"


def test_operator_runs_heroic_operator_watching_the_release_namespace_by_default() -> None:
    args = _args()
    assert args[0] == "operator"
    assert [a for a in args if a.startswith("--namespace")] == [f"--namespace={NAMESPACE}"]
    assert "--all-namespaces" not in args


def test_operator_watches_each_listed_namespace() -> None:
    args = _args({"operator": {"watchNamespaces": ["team-a", "team-b"]}})
    assert [a for a in args if a.startswith("--namespace")] == [
        "--namespace=team-a",
        "--namespace=team-b",
    ]


def test_operator_watches_all_namespaces_with_cluster_wide_rbac() -> None:
    args = _args({"operator": {"watchAllNamespaces": True}, "rbac": {"clusterWide": True}})
    assert "--all-namespaces" in args
    assert not [a for a in args if a.startswith("--namespace")]


def test_watching_all_namespaces_without_cluster_wide_rbac_fails_with_the_fix() -> None:
    with pytest.raises(RenderError, match=r"needs rbac.clusterWide=true"):
        _deployment({"operator": {"watchAllNamespaces": True}})


def test_watching_all_namespaces_and_a_list_at_once_fails() -> None:
    values = {
        "operator": {"watchAllNamespaces": True, "watchNamespaces": ["a"]},
        "rbac": {"clusterWide": True},
    }
    with pytest.raises(RenderError, match="not both"):
        _deployment(values)


def test_log_level_and_ports_reach_the_arguments() -> None:
    args = _args({"operator": {"logLevel": "debug", "healthPort": 8181}, "metrics": {"port": 9191}})
    assert {"--log-level=debug", "--health-port=8181", "--metrics-port=9191"} <= set(args)


def test_extra_args_come_last() -> None:
    assert _args({"operator": {"extraArgs": ["--peering=x", "--verbose"]}})[-2:] == [
        "--peering=x",
        "--verbose",
    ]


def test_image_tag_defaults_to_the_app_version() -> None:
    image = jmespath.search("spec.template.spec.containers[0].image", _deployment())
    assert image == "ghcr.io/heroic-on-kubernetes/heroic:0.1.0"


def test_image_repository_tag_and_pull_policy_are_configurable() -> None:
    values = {"image": {"repository": "heroic", "tag": "dev", "pullPolicy": "Never"}}
    container = jmespath.search("spec.template.spec.containers[0]", _deployment(values))
    assert (container["image"], container["imagePullPolicy"]) == ("heroic:dev", "Never")


def test_operator_is_told_the_default_workload_image() -> None:
    env = jmespath.search("spec.template.spec.containers[0].env", _deployment())
    assert {
        "name": "HEROIC_OPERATOR_DEFAULT_IMAGE",
        "value": "ghcr.io/heroic-on-kubernetes/heroic:0.1.0",
    } in env


def test_extra_env_is_appended() -> None:
    extra = {"name": "HTTPS_PROXY", "value": "http://proxy:3128"}
    env = jmespath.search(
        "spec.template.spec.containers[0].env", _deployment({"operator": {"extraEnv": [extra]}})
    )
    assert env[-1] == extra


def test_metrics_disabled_removes_the_port_the_argument_and_the_service() -> None:
    docs = render_chart({"metrics": {"enabled": False}})
    deployment = one(docs, "Deployment")
    ports = jmespath.search("spec.template.spec.containers[0].ports[].name", deployment)
    assert ports == ["health"]
    assert not [a for a in _args({"metrics": {"enabled": False}}) if "metrics" in a]
    assert not [d for d in docs if d["kind"] == "Service"]


def test_probes_use_the_health_port() -> None:
    container = jmespath.search("spec.template.spec.containers[0]", _deployment())
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/healthz", "port": "health"}


@pytest.mark.parametrize(
    ("values", "path", "expected"),
    [
        ({"nodeSelector": {"disk": "ssd"}}, "nodeSelector", {"disk": "ssd"}),
        (
            {"tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]},
            "tolerations",
            [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}],
        ),
        (
            {
                "affinity": {
                    "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": []}
                }
            },
            "affinity",
            {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": []}},
        ),
        ({"priorityClassName": "critical"}, "priorityClassName", "critical"),
        (
            {"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}},
            "containers[0].resources.limits",
            {"cpu": "1", "memory": "1Gi"},
        ),
    ],
)
def test_pod_scheduling_values_reach_the_pod_spec(
    values: dict[str, Any], path: str, expected: object
) -> None:
    assert (
        jmespath.search(f"spec.template.spec.{path}", _deployment({"operator": values})) == expected
    )


def test_pod_labels_and_annotations_are_added_but_never_selected_on() -> None:
    deployment = _deployment(
        {"operator": {"podLabels": {"team": "obs"}, "podAnnotations": {"a/b": "c"}}}
    )
    assert jmespath.search("spec.template.metadata.labels.team", deployment) == "obs"
    assert jmespath.search("spec.template.metadata.annotations", deployment) == {"a/b": "c"}
    assert "team" not in jmespath.search("spec.selector.matchLabels", deployment)


def test_image_pull_secrets_reach_the_pod() -> None:
    deployment = _deployment({"imagePullSecrets": [{"name": "regcred"}]})
    assert jmespath.search("spec.template.spec.imagePullSecrets", deployment) == [
        {"name": "regcred"}
    ]


def test_root_filesystem_is_read_only_with_a_writable_tmp() -> None:
    spec = jmespath.search("spec.template.spec", _deployment())
    assert spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True
    assert {"name": "tmp", "mountPath": "/tmp"} in spec["containers"][0]["volumeMounts"]  # noqa: S108
    assert jmespath.search("volumes[?name=='tmp'].emptyDir", spec) == [{"sizeLimit": "64Mi"}]
