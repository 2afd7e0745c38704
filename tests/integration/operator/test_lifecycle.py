"""The operator against the real control plane: create → Ready, drift repair, zero-write steady
state, pause, deletion by garbage collection. kwok makes pods Ready and Jobs complete."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

import httpx
import pytest
import yaml
from kubernetes.dynamic import DynamicClient

from heroic_core.config import HeroicConfig
from heroic_operator import naming
from heroic_operator.process.app import Operator
from tests.integration.operator.support import (
    MERGE_PATCH,
    apply_cluster,
    apply_object,
    delete_object,
    exists,
    get_cluster,
    get_object,
    list_kind,
    manifest,
    merge_patch,
    patch_spec,
    reconcile_now,
    resource,
    wait_condition,
    wait_for,
)

pytestmark = pytest.mark.kubernetes
CPU_REQUEST = {"requests": {"cpu": "100m"}}


def _children(client: DynamicClient, namespace: str, cluster: str) -> dict[tuple[str, str], str]:
    """(kind, name) → resourceVersion of every child of one cluster."""
    labels: dict[str, Any] = {"app.kubernetes.io/instance": cluster}
    out = {}
    resources = (
        ("v1", "ConfigMap"),
        ("v1", "Service"),
        ("v1", "ServiceAccount"),
        ("apps/v1", "Deployment"),
        ("policy/v1", "PodDisruptionBudget"),
        ("autoscaling/v2", "HorizontalPodAutoscaler"),
        ("batch/v1", "Job"),
    )
    for api_version, kind in resources:
        for obj in list_kind(client, api_version, kind, namespace, labels=labels):
            out[(kind, obj.metadata.name)] = obj.metadata.resourceVersion
    return out


def test_example_becomes_ready_with_its_children(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    apply_cluster(client, namespace, manifest("memory", "ready"))
    wait_condition(client, namespace, "ready")
    kubectl = os.environ["KUBECTL"]
    waited = subprocess.run(
        [
            kubectl,
            "wait",
            "--for=condition=Ready",
            "heroicclusters.heroic.dev/ready",
            "-n",
            namespace,
            "--timeout=10s",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert waited.returncode == 0, waited.stderr
    assert set(_children(client, namespace, "ready")) == {
        ("ConfigMap", "ready-heroic-config"),
        ("Service", "ready-heroic-api"),
        ("ServiceAccount", "ready-heroic-api"),
        ("ServiceAccount", "ready-heroic-consumer-main"),
        ("Deployment", "ready-heroic-api"),
        ("Deployment", "ready-heroic-consumer-main"),
        ("PodDisruptionBudget", "ready-heroic-api"),
        ("PodDisruptionBudget", "ready-heroic-consumer-main"),
    }
    configmap = get_object(client, "v1", "ConfigMap", "ready-heroic-config", namespace)
    config = configmap.to_dict().get("data") or {}
    api = HeroicConfig.from_yaml(config["api.yml"])
    assert [b.type for b in api.metrics.backends] == ["memory"]
    consumer = HeroicConfig.from_yaml(config["consumer-main.yml"])
    assert consumer.consumers[0].type == "kafka"
    body = get_cluster(client, namespace, "ready")
    assert body["status"]["observedGeneration"] == body["metadata"]["generation"]
    assert (body["status"]["apiReplicas"], body["status"]["consumerReplicas"]) == ("2/2", "1/1")
    assert not body["metadata"].get("finalizers")
    deployment = get_object(client, "apps/v1", "Deployment", "ready-heroic-api", namespace)
    assert deployment.metadata.ownerReferences[0].uid == body["metadata"]["uid"]


def test_steady_state_reconciles_make_zero_writes(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    apply_cluster(client, namespace, manifest("memory", "steady"))
    wait_condition(client, namespace, "steady")
    time.sleep(1.0)  # let the events of the last writes drain
    assert operator.reconciler is not None
    writes = operator.reconciler.applier.total_writes
    versions = _children(client, namespace, "steady")
    cluster_version = get_cluster(client, namespace, "steady")["metadata"]["resourceVersion"]
    reconcile_now(operator, namespace, "steady", times=2)
    assert operator.reconciler.applier.total_writes - writes == 0
    assert _children(client, namespace, "steady") == versions
    assert (
        get_cluster(client, namespace, "steady")["metadata"]["resourceVersion"] == cluster_version
    )


def test_deleted_and_edited_children_are_repaired(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    apply_cluster(client, namespace, manifest("memory", "drift"))
    wait_condition(client, namespace, "drift")
    delete_object(client, "v1", "Service", "drift-heroic-api", namespace)
    delete_object(client, "v1", "ConfigMap", "drift-heroic-config", namespace)
    wait_for("Service back", lambda: exists(client, "v1", "Service", "drift-heroic-api", namespace))
    wait_for(
        "ConfigMap back",
        lambda: exists(client, "v1", "ConfigMap", "drift-heroic-config", namespace),
    )
    merge_patch(
        client,
        "apps/v1",
        "Deployment",
        "drift-heroic-api",
        {"spec": {"replicas": 5}},
        namespace=namespace,
        field_manager="someone-else",
    )
    wait_for(
        "replicas reverted to 2",
        lambda: (
            get_object(client, "apps/v1", "Deployment", "drift-heroic-api", namespace).spec.replicas
            == 2
        ),
    )


def test_foreign_metadata_and_rollout_restart_survive(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    apply_cluster(client, namespace, manifest("memory", "coexist"))
    wait_condition(client, namespace, "coexist")
    merge_patch(
        client,
        "v1",
        "ServiceAccount",
        "coexist-heroic-api",
        {
            "metadata": {
                "labels": {"team": "observability"},
                "annotations": {"iam.gke.io/gcp-service-account": "x@y.iam.gserviceaccount.com"},
            }
        },
        namespace=namespace,
        field_manager="someone-else",
    )
    restarted = {
        "spec": {
            "template": {
                "metadata": {
                    "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}
                }
            }
        }
    }
    merge_patch(
        client,
        "apps/v1",
        "Deployment",
        "coexist-heroic-api",
        restarted,
        namespace=namespace,
        field_manager="kubectl-rollout",
    )
    deployment = get_object(client, "apps/v1", "Deployment", "coexist-heroic-api", namespace)
    generation = deployment.metadata.generation
    reconcile_now(operator, namespace, "coexist", times=2)
    sa = get_object(client, "v1", "ServiceAccount", "coexist-heroic-api", namespace)
    assert sa.metadata.labels["team"] == "observability"
    assert sa.metadata.annotations["iam.gke.io/gcp-service-account"].startswith("x@")
    deployment = get_object(client, "apps/v1", "Deployment", "coexist-heroic-api", namespace)
    assert deployment.metadata.generation == generation
    annotations = deployment.spec.template.metadata.annotations
    assert annotations["kubectl.kubernetes.io/restartedAt"] == "2026-01-01T00:00:00Z"


def test_hpa_owned_replicas_are_not_reverted(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    scaled = {"autoscaling": {"minReplicas": 2, "maxReplicas": 6}, "resources": CPU_REQUEST}
    body = manifest("memory", "scaled", api=scaled)
    apply_cluster(client, namespace, body)
    wait_for(
        "Deployment",
        lambda: exists(client, "apps/v1", "Deployment", "scaled-heroic-api", namespace),
    )
    resource(client, "apps/v1", "Deployment").subresources["scale"].patch(
        body={"spec": {"replicas": 4}},
        name="scaled-heroic-api",
        namespace=namespace,
        content_type=MERGE_PATCH,
        field_manager="hpa-controller",
    )
    reconcile_now(operator, namespace, "scaled", times=2)
    assert (
        get_object(client, "apps/v1", "Deployment", "scaled-heroic-api", namespace).spec.replicas
        == 4
    )


def test_pause_stops_all_changes_and_says_so(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    apply_cluster(client, namespace, manifest("memory", "paused"))
    wait_condition(client, namespace, "paused")
    patch_spec(client, namespace, "paused", {"paused": True, "api": {"replicas": 3}})
    wait_condition(client, namespace, "paused", "Paused", status="True")
    delete_object(client, "v1", "Service", "paused-heroic-api", namespace)
    reconcile_now(operator, namespace, "paused", times=2)
    assert not exists(client, "v1", "Service", "paused-heroic-api", namespace)
    assert (
        get_object(client, "apps/v1", "Deployment", "paused-heroic-api", namespace).spec.replicas
        == 2
    )
    assert (
        wait_condition(client, namespace, "paused", "Reconciled", status="False")["reason"]
        == "Paused"
    )
    patch_spec(client, namespace, "paused", {"paused": False})
    wait_condition(client, namespace, "paused", "Paused", status="False")
    wait_for(
        "Service back", lambda: exists(client, "v1", "Service", "paused-heroic-api", namespace)
    )
    wait_for(
        "replicas 3",
        lambda: (
            get_object(
                client, "apps/v1", "Deployment", "paused-heroic-api", namespace
            ).spec.replicas
            == 3
        ),
    )


def test_deleting_a_cluster_collects_its_children(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    apply_object(
        client,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "cassandra-credentials", "namespace": namespace},
            "stringData": {"password": "pw"},
        },
        field_manager="heroic-tests",
    )
    apply_cluster(client, namespace, manifest("cassandra", "gone"))
    wait_condition(client, namespace, "gone", timeout=60)
    assert len([k for k in _children(client, namespace, "gone") if k[0] == "Job"]) == 2
    assert operator.reconciler is not None
    delete_object(client, naming.API_VERSION, naming.KIND, "gone", namespace)
    wait_for(
        "children garbage-collected", lambda: not _children(client, namespace, "gone"), timeout=60
    )
    assert not exists(client, naming.API_VERSION, naming.KIND, "gone", namespace)


def test_health_readiness_and_metrics_endpoints(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    apply_cluster(client, namespace, manifest("memory", "metrics"))
    wait_condition(client, namespace, "metrics")
    base = f"http://127.0.0.1:{operator.port}"
    assert httpx.get(f"{base}/healthz").status_code == 200
    assert httpx.get(f"{base}/readyz").status_code == 200
    text = httpx.get(f"{base}/metrics").text
    assert (
        f'heroic_operator_reconciles_total{{cluster="metrics",namespace="{namespace}",'
        'result="ok"}' in text
    )
    assert "heroic_operator_reconcile_duration_seconds_bucket" in text
    assert f'heroic_operator_cluster_ready{{cluster="metrics",namespace="{namespace}"}} 1.0' in text


def test_printer_columns(client: DynamicClient, namespace: str, operator: Operator) -> None:
    apply_cluster(client, namespace, manifest("memory", "columns"))
    wait_condition(client, namespace, "columns")
    out = subprocess.run(
        [os.environ["KUBECTL"], "get", "heroicclusters.heroic.dev", "columns", "-n", namespace],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert out[0].split() == ["NAME", "READY", "REASON", "API", "CONSUMERS", "SHARDS", "AGE"]
    assert out[1].split()[:5] == ["columns", "True", "Ready", "2/2", "1/1"]


def test_events_are_posted_for_rollouts(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    apply_cluster(client, namespace, manifest("memory", "events"))
    wait_condition(client, namespace, "events")
    patch_spec(
        client, namespace, "events", {"config": {"features": ["com.spotify.heroic.shift_range"]}}
    )
    kubectl = os.environ["KUBECTL"]

    def rolled() -> bool:
        out = subprocess.run(
            [
                kubectl,
                "get",
                "events",
                "-n",
                namespace,
                "-o",
                "yaml",
                "--field-selector",
                "involvedObject.name=events",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return any(e["reason"] == "RollingOut" for e in yaml.safe_load(out)["items"])

    wait_for("a RollingOut Event", rolled)


def test_removed_parts_are_pruned(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    api = {"replicas": 1, "autoscaling": {"maxReplicas": 3}, "resources": CPU_REQUEST}
    body = manifest("memory", "prune", api=api)
    apply_cluster(client, namespace, body)
    wait_condition(client, namespace, "prune")
    assert ("HorizontalPodAutoscaler", "prune-heroic-api") in _children(client, namespace, "prune")
    patch_spec(client, namespace, "prune", {"consumers": None, "api": {"autoscaling": None}})

    def pruned() -> bool:
        children = _children(client, namespace, "prune")
        return (
            not any("consumer-main" in name for _, name in children)
            and ("HorizontalPodAutoscaler", "prune-heroic-api") not in children
        )

    wait_for("consumer group and HPA pruned", pruned)
    configmap = get_object(client, "v1", "ConfigMap", "prune-heroic-config", namespace)
    data = configmap.to_dict().get("data") or {}
    assert set(data) == {"api.yml"}
    # The rollout after pruning can take longer than 30 s on a loaded machine.
    wait_condition(client, namespace, "prune", timeout=90)
