"""The local control plane behaves like a real cluster for what our operator relies on."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from kubernetes import config as kube_config
from kubernetes.client import CoreV1Api
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient, Resource

MANAGER = "testenv-smoke"

pytestmark = pytest.mark.kubernetes


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def client() -> Iterator[DynamicClient]:
    api = kube_config.new_client_from_config(config_file=os.environ["KUBECONFIG"])
    yield DynamicClient(api)
    api.close()


def _kind(client: DynamicClient, api_version: str, kind: str) -> Any:
    return client.resources.get(api_version=api_version, kind=kind)


@pytest.fixture
def namespace(client: DynamicClient) -> Iterator[str]:
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    namespaces = _kind(client, "v1", "Namespace")
    namespaces.create(
        body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}},
        field_manager=MANAGER,
    )
    yield name
    namespaces.delete(name=name)


def _template(labels: dict[str, str]) -> dict[str, Any]:
    return {
        "metadata": {"labels": labels},
        "spec": {
            "containers": [{"name": "main", "image": "example.invalid/app:1"}],
            "restartPolicy": "Never" if "job" in labels else "Always",
        },
    }


def test_custom_resource_round_trip_and_watch(client: DynamicClient, namespace: str) -> None:
    group = f"smoke{uuid.uuid4().hex[:6]}.example.com"
    crd: dict[str, Any] = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {"size": {"type": "integer"}},
                                }
                            },
                        }
                    },
                }
            ],
        },
    }
    crds = _kind(client, "apiextensions.k8s.io/v1", "CustomResourceDefinition")
    crds.create(body=crd, field_manager=MANAGER)
    try:
        # Named by group, version and plural, without waiting for discovery.
        widget = Resource(
            prefix="apis",
            group=group,
            api_version="v1",
            kind="Widget",
            name="widgets",
            namespaced=True,
            client=client,
        )

        def body(name: str, size: object) -> dict[str, Any]:
            return {
                "apiVersion": f"{group}/v1",
                "kind": "Widget",
                "metadata": {"name": name},
                "spec": {"size": size},
            }

        def established() -> bool:
            conditions = crds.get(name=crd["metadata"]["name"]).status.conditions
            return any(c.type == "Established" and c.status == "True" for c in conditions or [])

        wait_for("CRD Established", established)
        widget.create(body=body("w1", 3), namespace=namespace, field_manager=MANAGER)
        events = client.watch(widget, namespace=namespace, timeout=10)
        event = next(iter(events))
        kind, obj = event["type"], event["object"]
        assert (kind, obj.metadata.name, obj["spec"]["size"]) == ("ADDED", "w1", 3)
        with pytest.raises(ApiException) as rejected:
            widget.create(body=body("w2", "big"), namespace=namespace, field_manager=MANAGER)
        assert rejected.value.status == 422
    finally:
        crds.delete(name=crd["metadata"]["name"])


def test_deployment_becomes_available(client: DynamicClient, namespace: str) -> None:
    labels = {"app": "web"}
    deployments = _kind(client, "apps/v1", "Deployment")
    deployments.create(
        body={
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": labels},
                "template": _template(labels),
            },
        },
        namespace=namespace,
        field_manager=MANAGER,
    )

    def available() -> bool:
        status = deployments.get(name="web", namespace=namespace).status
        return status is not None and (status.availableReplicas or 0) == 2

    wait_for("Deployment available with 2 replicas", available)
    selector = ",".join(f"{key}={value}" for key, value in labels.items())
    pods = _kind(client, "v1", "Pod").get(namespace=namespace, label_selector=selector).items
    assert [p.status.phase for p in pods] == ["Running", "Running"]


def test_job_completes(client: DynamicClient, namespace: str) -> None:
    jobs = _kind(client, "batch/v1", "Job")
    jobs.create(
        body={
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "once"},
            "spec": {"backoffLimit": 0, "template": _template({"job": "once"})},
        },
        namespace=namespace,
        field_manager=MANAGER,
    )

    def complete() -> bool:
        conditions = jobs.get(name="once", namespace=namespace).status.conditions or []
        return any(c.type == "Complete" and c.status == "True" for c in conditions)

    wait_for("Job Complete", complete)


def test_deleting_an_owner_garbage_collects_its_children(
    client: DynamicClient, namespace: str
) -> None:
    config_maps = _kind(client, "v1", "ConfigMap")
    owner = config_maps.create(
        body={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "owner"},
            "data": {"a": "1"},
        },
        namespace=namespace,
        field_manager=MANAGER,
    )
    reference = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "owner",
        "uid": owner.metadata.uid,
    }
    config_maps.create(
        body={
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "child", "ownerReferences": [reference]},
        },
        namespace=namespace,
        field_manager=MANAGER,
    )
    config_maps.delete(name="owner", namespace=namespace)

    def child_gone() -> bool:
        try:
            config_maps.get(name="child", namespace=namespace)
        except ApiException as exc:
            return bool(exc.status == 404)
        return False

    wait_for("child ConfigMap garbage-collected", child_gone)


def test_service_account_without_permissions_is_denied(
    client: DynamicClient, namespace: str
) -> None:
    service_accounts = _kind(client, "v1", "ServiceAccount")
    service_accounts.create(
        body={"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "nobody"}},
        namespace=namespace,
        field_manager=MANAGER,
    )
    token = (
        service_accounts.subresources["token"]
        .create(
            body={
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "metadata": {"name": "nobody", "namespace": namespace},
                "spec": {"audiences": [], "expirationSeconds": 600},
            },
            name="nobody",
            namespace=namespace,
        )
        .status.token
    )
    with open(os.environ["KUBECONFIG"]) as f:
        kubeconfig = yaml.safe_load(f)
    kubeconfig["users"] = [{"name": "nobody", "user": {"token": token}}]
    kubeconfig["contexts"][0]["context"]["user"] = "nobody"
    as_nobody = kube_config.new_client_from_config_dict(kubeconfig)
    try:
        with pytest.raises(ApiException) as denied:
            CoreV1Api(as_nobody).list_namespaced_config_map(namespace)
    finally:
        as_nobody.close()
    assert denied.value.status == 403
    assert f"system:serviceaccount:{namespace}:nobody" in json.loads(denied.value.body)["message"]
