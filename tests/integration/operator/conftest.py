"""Fixtures for the operator's integration tests against the test environment's control plane:
the CRD (applied once), a unique namespace per module, and the operator watching it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import yaml
from kubernetes.dynamic import DynamicClient

from heroic_operator.process.app import Operator, OperatorConfig
from tests.integration.operator.support import (
    CRD_API_VERSION,
    CRD_FILE,
    apply_crd,
    create_object,
    delete_object,
    dynamic_client,
    get_object,
    running_operator,
    wait_for,
)


@pytest.fixture(scope="session")
def client() -> Iterator[DynamicClient]:
    dynamic = dynamic_client()
    yield dynamic
    dynamic.client.close()


@pytest.fixture(scope="session")
def crd(client: DynamicClient) -> str:
    """The HeroicCluster CRD from crds/, applied server-side and Established."""
    body = yaml.safe_load(CRD_FILE.read_text())
    name = body["metadata"]["name"]
    apply_crd(client, body)

    def established() -> bool:
        found = get_object(client, CRD_API_VERSION, "CustomResourceDefinition", name)
        conditions = found.status.conditions or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    wait_for("CRD Established", established)
    return str(name)


def make_namespace(client: DynamicClient, prefix: str) -> str:
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    create_object(client, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    return name


@pytest.fixture(scope="module")
def namespace(client: DynamicClient, crd: str) -> Iterator[str]:
    name = make_namespace(client, "heroic-op")
    yield name
    delete_object(client, "v1", "Namespace", name)


@pytest.fixture(scope="module")
def operator(namespace: str) -> Iterator[Operator]:
    config = OperatorConfig(
        namespaces=[namespace], kubeconfig=os.environ["KUBECONFIG"], port=0, resync_seconds=60
    )
    with running_operator(config) as running:
        yield running
