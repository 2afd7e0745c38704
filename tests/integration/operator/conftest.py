"""Fixtures for the operator's integration tests against the test environment's control plane:
the CRD (applied once), a unique namespace per module, and the operator watching it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import yaml
from lightkube import Client, KubeConfig
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.core_v1 import Namespace

from heroic_operator.process.app import Operator, OperatorConfig
from tests.integration.operator.support import (
    CRD_FILE,
    MANAGER,
    apply_crd,
    running_operator,
    wait_for,
)


@pytest.fixture(scope="session")
def client() -> Client:
    return Client(KubeConfig.from_file(os.environ["KUBECONFIG"]), field_manager=MANAGER)


@pytest.fixture(scope="session")
def crd(client: Client) -> str:
    """The HeroicCluster CRD from crds/, applied server-side and Established."""
    body = yaml.safe_load(CRD_FILE.read_text())
    name = body["metadata"]["name"]
    apply_crd(client, body)

    def established() -> bool:
        conditions = client.get(CustomResourceDefinition, name).status.conditions or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    wait_for("CRD Established", established)
    return str(name)


def make_namespace(client: Client, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    client.create(Namespace(metadata=ObjectMeta(name=name)))
    return name


@pytest.fixture(scope="module")
def namespace(client: Client, crd: str) -> Iterator[str]:
    name = make_namespace(client, "heroic-op")
    yield name
    client.delete(Namespace, name)


@pytest.fixture(scope="module")
def operator(namespace: str) -> Iterator[Operator]:
    config = OperatorConfig(
        namespaces=[namespace], kubeconfig=os.environ["KUBECONFIG"], port=0, resync_seconds=60
    )
    with running_operator(config) as running:
        yield running
