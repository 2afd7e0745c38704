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
from lightkube import Client, codecs
from lightkube.models.authentication_v1 import TokenRequestSpec
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.core_v1 import Namespace, Secret, ServiceAccount
from lightkube.resources.rbac_authorization_v1 import (
    ClusterRole,
    ClusterRoleBinding,
    Role,
    RoleBinding,
)

from heroic_operator.process.app import OperatorConfig
from tests.integration.operator.conftest import make_namespace
from tests.integration.operator.support import (
    RBAC_FILE,
    apply_cluster,
    manifest,
    running_operator,
    wait_condition,
)

pytestmark = pytest.mark.kubernetes


def _rbac_objects(suffix: str, namespace: str) -> list[Any]:
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
    return [codecs.from_dict(o) for o in objects]


@pytest.fixture
def operator_namespace(client: Client, crd: str) -> Iterator[str]:
    name = make_namespace(client, "heroic-rbac")
    yield name
    client.delete(Namespace, name)


@pytest.fixture
def token_kubeconfig(client: Client, operator_namespace: str, tmp_path: Path) -> Iterator[str]:
    suffix = uuid.uuid4().hex[:6]
    client.create(
        ServiceAccount(metadata=ObjectMeta(name="operator")), namespace=operator_namespace
    )
    objects = _rbac_objects(suffix, operator_namespace)
    for obj in objects:
        client.create(obj)
    token = client.create(
        ServiceAccount.Token(
            metadata=ObjectMeta(name="operator", namespace=operator_namespace),
            spec=TokenRequestSpec(audiences=[], expirationSeconds=3600),
        ),
        "operator",
        namespace=operator_namespace,
    ).status.token
    config = yaml.safe_load(Path(os.environ["KUBECONFIG"]).read_text())
    config["users"] = [{"name": "operator", "user": {"token": token}}]
    config["contexts"][0]["context"]["user"] = "operator"
    path = tmp_path / "operator.kubeconfig"
    path.write_text(yaml.safe_dump(config))
    yield str(path)
    for obj in objects:
        if isinstance(obj, ClusterRole | ClusterRoleBinding):
            client.delete(type(obj), obj.metadata.name)
        elif isinstance(obj, Role | RoleBinding):
            pass  # deleted with the namespace


def test_operator_works_with_its_own_rbac_only(
    client: Client, operator_namespace: str, token_kubeconfig: str
) -> None:
    client.create(
        Secret(metadata=ObjectMeta(name="cassandra-credentials"), stringData={"password": "pw"}),
        namespace=operator_namespace,
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
