"""Configure Jobs against the real control plane: hash-named Jobs, one rollout after a backend
change, Secrets feeding the pod-template hash, a missing Secret as a condition with a retry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from kubernetes.dynamic import DynamicClient

from heroic_operator.process.app import Operator
from tests.integration.operator.support import (
    apply_cluster,
    apply_object,
    delete_object,
    get_cluster,
    get_object,
    list_kind,
    manifest,
    patch_spec,
    reconcile_now,
    wait_condition,
    wait_for,
)

pytestmark = pytest.mark.kubernetes
CONFIG_HASH = "heroic.dev/config-hash"
SECRETS_HASH = "heroic.dev/secrets-hash"


def _secret(client: DynamicClient, namespace: str, name: str, value: str) -> None:
    apply_object(
        client,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": name, "namespace": namespace},
            "stringData": {"password": value},
        },
        field_manager="heroic-tests",
    )


def _jobs(client: DynamicClient, namespace: str, cluster: str) -> dict[str, Any]:
    labels: dict[str, Any] = {"app.kubernetes.io/instance": cluster}
    return {
        j.metadata.name: j for j in list_kind(client, "batch/v1", "Job", namespace, labels=labels)
    }


def _template_annotations(client: DynamicClient, namespace: str, name: str) -> dict[str, str]:
    deployment = get_object(client, "apps/v1", "Deployment", name, namespace)
    return dict(deployment.spec.template.metadata.annotations or {})


def _cassandra(name: str) -> dict[str, Any]:
    return manifest("cassandra", name)


def test_backend_change_runs_a_new_job_then_rolls_out_once(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    _secret(client, namespace, "cassandra-credentials", "s3cret")
    apply_cluster(client, namespace, _cassandra("cass"))
    wait_condition(client, namespace, "cass", timeout=60)
    first_jobs = _jobs(client, namespace, "cass")
    assert sorted(j.split("-")[3] for j in first_jobs) == ["cassandra", "elasticsearch"]
    annotations = next(iter(first_jobs.values())).spec.template.metadata.annotations
    assert "type: datastax" in annotations["heroic.dev/configure-config"] or (
        "type: elasticsearch" in annotations["heroic.dev/configure-config"]
    )
    status = get_cluster(client, namespace, "cass")["status"]
    assert wait_condition(client, namespace, "cass", "CassandraConfigured")["reason"] == "Succeeded"
    assert len(status["configure"]["cassandra"]["succeededHashes"]) == 1
    deployment = get_object(client, "apps/v1", "Deployment", "cass-heroic-api", namespace)
    generation, before = (
        deployment.metadata.generation,
        _template_annotations(client, namespace, "cass-heroic-api"),
    )

    backends = _cassandra("x")["spec"]["backends"]
    backends["metrics"]["cassandra"]["keyspace"] = "heroic2"
    patch_spec(client, namespace, "cass", {"backends": backends})
    new_job = wait_for(
        "a new cassandra Job",
        lambda: next(
            (
                j
                for n, j in _jobs(client, namespace, "cass").items()
                if n not in first_jobs and "cassandra" in n
            ),
            None,
        ),
    )
    wait_for(
        "the cluster Ready on the new generation",
        lambda: (
            (body := get_cluster(client, namespace, "cass"))["status"]["observedGeneration"]
            == body["metadata"]["generation"]
            and any(
                c["type"] == "Ready" and c["status"] == "True" for c in body["status"]["conditions"]
            )
        ),
        timeout=60,
    )
    deployment = get_object(client, "apps/v1", "Deployment", "cass-heroic-api", namespace)
    assert deployment.metadata.generation == generation + 1, "exactly one rollout"
    after = _template_annotations(client, namespace, "cass-heroic-api")
    assert after[CONFIG_HASH] != before[CONFIG_HASH]
    completed = get_object(
        client, "batch/v1", "Job", new_job.metadata.name, namespace
    ).status.completionTime
    new_rs = max(
        list_kind(
            client,
            "apps/v1",
            "ReplicaSet",
            namespace,
            labels={"app.kubernetes.io/component": "api", "app.kubernetes.io/instance": "cass"},
        ),
        key=lambda rs: int(rs.metadata.annotations["deployment.kubernetes.io/revision"]),
    )
    assert _as_time(new_rs.metadata.creationTimestamp) >= _as_time(completed).replace(
        microsecond=0
    ), "the rollout started only after the Job succeeded"
    records = get_cluster(client, namespace, "cass")["status"]["configure"]
    assert len(records["cassandra"]["succeededHashes"]) == 2
    assert (
        records["elasticsearch"]["succeededHashes"]
        == status["configure"]["elasticsearch"]["succeededHashes"]
    ), "the unchanged backend's Job did not run again"


def test_job_outcomes_are_events(client: DynamicClient, namespace: str, operator: Operator) -> None:
    _secret(client, namespace, "cassandra-credentials", "s3cret")
    apply_cluster(client, namespace, _cassandra("evented"))
    wait_condition(client, namespace, "evented", timeout=60)
    fields = {"involvedObject.name": "evented", "involvedObject.kind": "HeroicCluster"}

    def reasons() -> set[str]:
        events = list_kind(client, "v1", "Event", namespace, fields=fields)
        return {e.reason or "" for e in events}

    wait_for("Job events", lambda: {"ConfigureJobCreated", "ConfigureSucceeded"} <= reasons())


def _as_time(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def test_a_succeeded_job_is_not_rerun_after_it_is_deleted(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    _secret(client, namespace, "cassandra-credentials", "s3cret")
    apply_cluster(client, namespace, _cassandra("ttl"))
    wait_condition(client, namespace, "ttl", timeout=60)
    jobs = _jobs(client, namespace, "ttl")
    for name in jobs:  # what ttlSecondsAfterFinished does
        delete_object(client, "batch/v1", "Job", name, namespace)
    wait_for("Jobs gone", lambda: not _jobs(client, namespace, "ttl"))
    patch_spec(client, namespace, "ttl", {"api": {"replicas": 2}})
    wait_for(
        "new generation observed",
        lambda: get_cluster(client, namespace, "ttl")["status"]["observedGeneration"] == 2,
    )
    assert _jobs(client, namespace, "ttl") == {}
    assert wait_condition(client, namespace, "ttl", "CassandraConfigured")["reason"] == "Succeeded"


def test_secret_rotation_rolls_the_pods_once(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    _secret(client, namespace, "rotating", "one")
    body = _cassandra("rotate")
    body["spec"]["backends"]["metrics"]["cassandra"]["authentication"]["passwordSecretRef"][
        "name"
    ] = "rotating"
    apply_cluster(client, namespace, body)
    wait_condition(client, namespace, "rotate", timeout=60)
    before = _template_annotations(client, namespace, "rotate-heroic-api")[SECRETS_HASH]
    deployment = get_object(client, "apps/v1", "Deployment", "rotate-heroic-api", namespace)
    generation = deployment.metadata.generation
    _secret(client, namespace, "rotating", "two")
    operator.request_reconcile(namespace, "rotate")  # Secrets are read on each (periodic) pass
    wait_for(
        "secrets hash changed",
        lambda: (
            _template_annotations(client, namespace, "rotate-heroic-api")[SECRETS_HASH] != before
        ),
        timeout=60,
    )
    wait_condition(client, namespace, "rotate", timeout=60)
    operator.request_reconcile(namespace, "rotate")
    wait_condition(client, namespace, "rotate")
    deployment = get_object(client, "apps/v1", "Deployment", "rotate-heroic-api", namespace)
    assert deployment.metadata.generation == generation + 1


def test_missing_secret_is_a_condition_then_recovers(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    body = _cassandra("nosecret")
    body["spec"]["backends"]["metrics"]["cassandra"]["authentication"]["passwordSecretRef"][
        "name"
    ] = "not-yet"
    apply_cluster(client, namespace, body)
    cond = wait_condition(
        client, namespace, "nosecret", "Reconciled", status="False", reason="SecretNotFound"
    )
    assert "not-yet" in cond["message"]
    assert (
        wait_condition(client, namespace, "nosecret", "Ready", status="False")["reason"]
        == "SecretNotFound"
    )
    _secret(client, namespace, "not-yet", "pw")
    operator.request_reconcile(namespace, "nosecret")
    wait_condition(client, namespace, "nosecret", timeout=60)


def test_in_cluster_elasticsearch_gets_a_headless_service(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    body = manifest(
        "memory",
        "es",
        elasticsearchClusters=[{"name": "main", "selector": {"app": "es"}}],
        backends={"metadata": {"type": "elasticsearch", "elasticsearch": {"clusterRef": "main"}}},
    )
    apply_cluster(client, namespace, body)
    wait_condition(client, namespace, "es", timeout=60)
    service = get_object(client, "v1", "Service", "es-heroic-es-main", namespace)
    assert service.spec.clusterIP == "None"
    assert service.spec.publishNotReadyAddresses is True
    config = get_object(client, "v1", "ConfigMap", "es-heroic-config", namespace).data["api.yml"]
    assert f"es-heroic-es-main.{namespace}.svc:9200" in config
    assert wait_condition(client, namespace, "es", "ElasticsearchConfigured")["status"] == "True"


def test_full_example_is_ready_and_then_quiet(
    client: DynamicClient, namespace: str, operator: Operator
) -> None:
    for name, key in (("gcp-credentials", "key.json"), ("kafka-credentials", "password")):
        apply_object(
            client,
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": name, "namespace": namespace},
                "stringData": {key: "x"},
            },
            field_manager="heroic-tests",
        )
    body = manifest("full", "full")
    del body["spec"]["api"]["podTemplate"]["nodeSelector"]  # the fake node has no such label
    apply_cluster(client, namespace, body)
    wait_condition(client, namespace, "full", timeout=90)
    conditions = {c["type"] for c in get_cluster(client, namespace, "full")["status"]["conditions"]}
    assert {"BigtableConfigured", "ElasticsearchConfigured", "PubSubConfigured"} <= conditions
    assert operator.reconciler is not None
    writes = operator.reconciler.applier.total_writes
    before = dict(operator.reconciler.applier.writes)
    reconcile_now(operator, namespace, "full", times=2)
    after = dict(operator.reconciler.applier.writes)
    assert operator.reconciler.applier.total_writes == writes, (before, after)
