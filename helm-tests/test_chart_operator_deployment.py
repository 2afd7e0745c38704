"""The operator Deployment: one replica, the right arguments, and every pod-level toggle."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest
from helm_utils import NAMESPACE, RELEASE, RenderError, one, render_chart

from heroic_cli.main import parse
from heroic_operator.process import cli

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
    assert jmespath.search("spec.strategy", deployment) == {"type": "Recreate"}


def test_several_replicas_elect_a_leader_and_roll_one_pod_at_a_time() -> None:
    deployment = _deployment({"operator": {"replicas": 3}})
    assert jmespath.search("spec.replicas", deployment) == 3
    assert jmespath.search("spec.strategy.rollingUpdate", deployment) == {
        "maxSurge": 0,
        "maxUnavailable": 1,
    }
    assert "--leader-elect" in _args({"operator": {"replicas": 3}})


def test_several_replicas_without_leader_election_fail_with_the_fix() -> None:
    values = {"operator": {"replicas": 2, "leaderElection": {"enabled": False}}}
    with pytest.raises(RenderError, match=r"needs operator.leaderElection.enabled=true"):
        _deployment(values)


def test_leader_election_uses_a_lease_named_after_the_release() -> None:
    args = _args()
    assert {"--leader-elect", f"--lease-name={RELEASE}-heroic-operator"} <= set(args)
    env = jmespath.search("spec.template.spec.containers[0].env[].name", _deployment())
    assert {"POD_NAMESPACE", "POD_NAME"} <= set(env)


def test_leader_election_can_be_turned_off_for_a_single_replica() -> None:
    args = _args({"operator": {"leaderElection": {"enabled": False}}})
    assert not [a for a in args if a.startswith(("--leader-elect", "--lease"))]


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


def test_log_level_port_workers_and_resync_reach_the_arguments() -> None:
    values = {"operator": {"logLevel": "debug", "port": 8181, "workers": 8, "resyncSeconds": 60}}
    args = _args(values)
    assert {"--log-level=DEBUG", "--port=8181", "--workers=8", "--resync-seconds=60"} <= set(args)


def test_the_federation_status_period_reaches_the_arguments() -> None:
    assert "--federation-status-seconds=60" in _args({})
    args = _args({"operator": {"federationStatusSeconds": 15}})
    assert "--federation-status-seconds=15" in args


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"operator": {"watchNamespaces": ["a", "b"], "logLevel": "warning", "port": 9000}},
        {"operator": {"watchAllNamespaces": True}, "rbac": {"clusterWide": True}},
        {"operator": {"leaderElection": {"enabled": False}}},
    ],
)
def test_heroic_operator_accepts_the_rendered_arguments(
    values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("WATCH_NAMESPACES", "POD_NAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POD_NAMESPACE", NAMESPACE)  # the chart's downward-API variable
    args = _args(values)
    _, settings = parse(["operator", *args[1:]])
    assert isinstance(settings, cli.OperatorSettings)
    config = settings.operator_config()
    operator = values.get("operator", {})
    expected = (
        [] if operator.get("watchAllNamespaces") else operator.get("watchNamespaces", [NAMESPACE])
    )
    assert config.namespaces == expected
    assert config.port == operator.get("port", 8080)
    assert config.leader_election is operator.get("leaderElection", {}).get("enabled", True)


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


def test_extra_env_is_appended() -> None:
    extra = {"name": "HTTPS_PROXY", "value": "http://proxy:3128"}
    env = jmespath.search(
        "spec.template.spec.containers[0].env", _deployment({"operator": {"extraEnv": [extra]}})
    )
    assert env[-1] == extra


def test_metrics_disabled_removes_the_service_but_not_the_endpoint() -> None:
    docs = render_chart({"metrics": {"enabled": False}})
    assert not [d for d in docs if d["kind"] == "Service"]
    ports = jmespath.search(
        "spec.template.spec.containers[0].ports[].name", one(docs, "Deployment")
    )
    assert ports == ["http"]


def test_probes_use_healthz_for_liveness_and_readyz_for_readiness() -> None:
    container = jmespath.search("spec.template.spec.containers[0]", _deployment())
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


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
