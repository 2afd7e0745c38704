"""The local control plane behaves like a real cluster for what our operator relies on."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import yaml
from lightkube import ApiError, Client, KubeConfig
from lightkube.generic_resource import create_namespaced_resource
from lightkube.models.apiextensions_v1 import (
    CustomResourceDefinitionNames,
    CustomResourceDefinitionSpec,
    CustomResourceDefinitionVersion,
    CustomResourceValidation,
    JSONSchemaProps,
)
from lightkube.models.apps_v1 import DeploymentSpec
from lightkube.models.authentication_v1 import TokenRequestSpec
from lightkube.models.batch_v1 import JobSpec
from lightkube.models.core_v1 import Container, PodSpec, PodTemplateSpec
from lightkube.models.meta_v1 import LabelSelector, ObjectMeta, OwnerReference
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import ConfigMap, Namespace, Pod, ServiceAccount

pytestmark = pytest.mark.kubernetes


def wait_for(what: str, check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def client() -> Client:
    return Client(KubeConfig.from_file(os.environ["KUBECONFIG"]), field_manager="testenv-smoke")


@pytest.fixture
def namespace(client: Client) -> Iterator[str]:
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    client.create(Namespace(metadata=ObjectMeta(name=name)))
    yield name
    client.delete(Namespace, name)


def _template(labels: dict[str, str]) -> PodTemplateSpec:
    return PodTemplateSpec(
        metadata=ObjectMeta(labels=labels),
        spec=PodSpec(
            containers=[Container(name="main", image="example.invalid/app:1")],
            restartPolicy="Never" if "job" in labels else "Always",
        ),
    )


def test_custom_resource_round_trip_and_watch(client: Client, namespace: str) -> None:
    group = f"smoke{uuid.uuid4().hex[:6]}.example.com"
    crd = CustomResourceDefinition(
        metadata=ObjectMeta(name=f"widgets.{group}"),
        spec=CustomResourceDefinitionSpec(
            group=group,
            scope="Namespaced",
            names=CustomResourceDefinitionNames(kind="Widget", plural="widgets"),
            versions=[
                CustomResourceDefinitionVersion(
                    name="v1",
                    served=True,
                    storage=True,
                    schema=CustomResourceValidation(
                        openAPIV3Schema=JSONSchemaProps(
                            type="object",
                            properties={
                                "spec": JSONSchemaProps(
                                    type="object",
                                    properties={"size": JSONSchemaProps(type="integer")},
                                )
                            },
                        )
                    ),
                )
            ],
        ),
    )
    client.create(crd)
    try:
        widget = create_namespaced_resource(group, "v1", "Widget", "widgets")

        def established() -> bool:
            conditions = client.get(CustomResourceDefinition, crd.metadata.name).status.conditions
            return any(c.type == "Established" and c.status == "True" for c in conditions or [])

        wait_for("CRD Established", established)
        client.create(widget(metadata=ObjectMeta(name="w1"), spec={"size": 3}), namespace=namespace)
        events = client.watch(widget, namespace=namespace, server_timeout=10)
        kind, obj = next(iter(events))
        assert (kind, obj.metadata.name, obj["spec"]["size"]) == ("ADDED", "w1", 3)
        with pytest.raises(ApiError) as rejected:
            client.create(
                widget(metadata=ObjectMeta(name="w2"), spec={"size": "big"}), namespace=namespace
            )
        assert rejected.value.status.code == 422
    finally:
        client.delete(CustomResourceDefinition, crd.metadata.name)


def test_deployment_becomes_available(client: Client, namespace: str) -> None:
    labels = {"app": "web"}
    client.create(
        Deployment(
            metadata=ObjectMeta(name="web"),
            spec=DeploymentSpec(
                replicas=2, selector=LabelSelector(matchLabels=labels), template=_template(labels)
            ),
        ),
        namespace=namespace,
    )

    def available() -> bool:
        status = client.get(Deployment, "web", namespace=namespace).status
        return status is not None and (status.availableReplicas or 0) == 2

    wait_for("Deployment available with 2 replicas", available)
    pods = list(client.list(Pod, namespace=namespace, labels=labels))
    assert [p.status.phase for p in pods] == ["Running", "Running"]


def test_job_completes(client: Client, namespace: str) -> None:
    client.create(
        Job(
            metadata=ObjectMeta(name="once"),
            spec=JobSpec(backoffLimit=0, template=_template({"job": "once"})),
        ),
        namespace=namespace,
    )

    def complete() -> bool:
        conditions = client.get(Job, "once", namespace=namespace).status.conditions or []
        return any(c.type == "Complete" and c.status == "True" for c in conditions)

    wait_for("Job Complete", complete)


def test_deleting_an_owner_garbage_collects_its_children(client: Client, namespace: str) -> None:
    owner = client.create(
        ConfigMap(metadata=ObjectMeta(name="owner"), data={"a": "1"}), namespace=namespace
    )
    reference = OwnerReference(
        apiVersion="v1", kind="ConfigMap", name="owner", uid=owner.metadata.uid
    )
    client.create(
        ConfigMap(metadata=ObjectMeta(name="child", ownerReferences=[reference])),
        namespace=namespace,
    )
    client.delete(ConfigMap, "owner", namespace=namespace)

    def child_gone() -> bool:
        try:
            client.get(ConfigMap, "child", namespace=namespace)
        except ApiError as exc:
            return exc.status.code == 404
        return False

    wait_for("child ConfigMap garbage-collected", child_gone)


def test_service_account_without_permissions_is_denied(client: Client, namespace: str) -> None:
    client.create(ServiceAccount(metadata=ObjectMeta(name="nobody")), namespace=namespace)
    token = client.create(
        ServiceAccount.Token(
            metadata=ObjectMeta(name="nobody", namespace=namespace),
            spec=TokenRequestSpec(audiences=[], expirationSeconds=600),
        ),
        "nobody",
        namespace=namespace,
    ).status.token
    with open(os.environ["KUBECONFIG"]) as f:
        kubeconfig = yaml.safe_load(f)
    kubeconfig["users"] = [{"name": "nobody", "user": {"token": token}}]
    kubeconfig["contexts"][0]["context"]["user"] = "nobody"
    as_nobody = Client(KubeConfig.from_dict(kubeconfig))
    with pytest.raises(ApiError) as denied:
        list(as_nobody.list(ConfigMap, namespace=namespace))
    assert denied.value.status.code == 403
    assert f"system:serviceaccount:{namespace}:nobody" in denied.value.status.message
