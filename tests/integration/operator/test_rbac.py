"""The operator reconciles a cluster with nothing but the RBAC rules in operator/rbac/rbac.yaml
(a ServiceAccount token; no admin credentials)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.dynamic import DynamicClient

from heroic_operator.process.app import OperatorConfig
from tests.integration.operator.conftest import make_namespace
from tests.integration.operator.support import (
    RBAC_FILE,
    apply_cluster,
    create_object,
    delete_object,
    get_cluster,
    manifest,
    resource,
    running_operator,
    wait_condition,
    wait_for,
)

pytestmark = pytest.mark.kubernetes


def _rbac_objects(suffix: str, namespace: str) -> list[dict[str, Any]]:
    """The canonical RBAC documents, renamed for this test and bound to one ServiceAccount."""
    docs = list(yaml.safe_load_all(RBAC_FILE.read_text()))
    subject = [{"kind": "ServiceAccount", "name": "operator", "namespace": namespace}]
    objects: list[dict[str, Any]] = []
    for doc in docs:
        doc["metadata"]["name"] += f"-{suffix}"
        role_ref = {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": doc["kind"],
            "name": doc["metadata"]["name"],
        }
        if doc["kind"] == "Role":
            doc["metadata"]["namespace"] = namespace
        objects.append(doc)
        namespaced = doc["kind"] == "Role" or doc["metadata"]["name"].startswith(
            f"heroic-operator-{suffix}"
        )
        binding: dict[str, Any] = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding" if namespaced else "ClusterRoleBinding",
            "metadata": {"name": doc["metadata"]["name"]},
            "roleRef": role_ref,
            "subjects": subject,
        }
        if namespaced:
            binding["metadata"]["namespace"] = namespace
        objects.append(binding)
    return objects


@pytest.fixture
def operator_namespace(client: DynamicClient, crd: str) -> Iterator[str]:
    name = make_namespace(client, "heroic-rbac")
    yield name
    delete_object(client, "v1", "Namespace", name)


@pytest.fixture
def token_kubeconfig(
    client: DynamicClient, operator_namespace: str, tmp_path: Path
) -> Iterator[str]:
    suffix = uuid.uuid4().hex[:6]
    create_object(
        client,
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "operator"}},
        operator_namespace,
    )
    objects = _rbac_objects(suffix, operator_namespace)
    for obj in objects:
        create_object(client, obj)
    token = (
        resource(client, "v1", "ServiceAccount")
        .subresources["token"]
        .create(
            body={
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "metadata": {"name": "operator", "namespace": operator_namespace},
                "spec": {"audiences": [], "expirationSeconds": 3600},
            },
            name="operator",
            namespace=operator_namespace,
        )
        .status.token
    )
    config = yaml.safe_load(Path(os.environ["KUBECONFIG"]).read_text())
    config["users"] = [{"name": "operator", "user": {"token": token}}]
    config["contexts"][0]["context"]["user"] = "operator"
    path = tmp_path / "operator.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    yield str(path)
    for obj in objects:
        if obj["kind"] in {"ClusterRole", "ClusterRoleBinding"}:
            delete_object(client, obj["apiVersion"], obj["kind"], obj["metadata"]["name"])
        elif obj["kind"] in {"Role", "RoleBinding"}:
            pass  # deleted with the namespace


def test_operator_works_with_its_own_rbac_only(
    client: DynamicClient, operator_namespace: str, token_kubeconfig: str
) -> None:
    create_object(
        client,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "cassandra-credentials"},
            "stringData": {"password": "pw"},
        },
        operator_namespace,
    )
    config = OperatorConfig(
        namespaces=[operator_namespace],
        kubeconfig=token_kubeconfig,
        port=0,
        leader_election=True,
        lease_namespace=operator_namespace,
    )
    with running_operator(config) as running:
        apply_cluster(client, operator_namespace, manifest("cassandra", "rbac"))
        wait_condition(client, operator_namespace, "rbac", timeout=60)
        assert running.reconciler is not None
        assert running.reconciler.applier.writes["apply Job"] == 2


def test_its_own_rbac_lets_the_operator_read_a_federated_api_through_the_proxy(
    client: DynamicClient, operator_namespace: str, token_kubeconfig: str
) -> None:
    create_object(
        client,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "heroic-federation"},
            "stringData": {"token": "t"},
        },
        operator_namespace,
    )
    federation = {
        "tags": {"site": "lon"},
        "tokenSecretRef": {"name": "heroic-federation", "key": "token"},
    }
    config = OperatorConfig(
        namespaces=[operator_namespace],
        kubeconfig=token_kubeconfig,
        port=0,
        federation_status_seconds=1,
    )
    with running_operator(config):
        body = manifest("memory", "fed", consumers=[], federation=federation)
        apply_cluster(client, operator_namespace, body)
        wait_condition(client, operator_namespace, "fed", timeout=60)

        def tried() -> dict[str, Any] | None:
            status = get_cluster(client, operator_namespace, "fed").get("status") or {}
            federation = status.get("federation") or {}
            return federation if "no API pod" not in federation.get("error", "no API pod") else None

        federation_status = wait_for("a read of the ready API", tried, timeout=60)
    # kwok's pods answer nothing (the API server fails to dial them, or the read times out),
    # but the proxy itself was allowed: a 403 would say the RBAC does not allow it
    error = federation_status["error"]
    assert "cannot read /cluster/status of Service fed-heroic-api" in error
    assert "RBAC" not in error, error
    assert "forbidden" not in error.lower(), error
