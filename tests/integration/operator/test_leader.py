"""Two operator replicas with --leader-elect: only the Lease holder reconciles; when it stops,
the other takes over."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import pytest
from kubernetes.dynamic import DynamicClient

from heroic_operator.process.app import Operator, OperatorConfig, OperatorFailedError
from heroic_operator.process.leader import LeaseElector
from tests.integration.operator.conftest import make_namespace
from tests.integration.operator.support import (
    apply_cluster,
    delete_object,
    get_object,
    manifest,
    patch_spec,
    running_operator,
    wait_condition,
    wait_for,
)

pytestmark = pytest.mark.kubernetes


def _config(namespace: str, identity: str) -> OperatorConfig:
    return OperatorConfig(
        namespaces=[namespace],
        kubeconfig=os.environ["KUBECONFIG"],
        port=None,
        leader_election=True,
        lease_namespace=namespace,
        identity=identity,
    )


def _reconciles(operator: Operator) -> int:
    assert operator.controller is not None
    return sum(operator.controller.reconciles.values())


def _holder(client: DynamicClient, namespace: str) -> str:
    lease = get_object(client, "coordination.k8s.io/v1", "Lease", "heroic-operator", namespace)
    return (lease.spec.holderIdentity if lease.spec else None) or ""


@pytest.fixture
def lease_namespace(client: DynamicClient, crd: str) -> Iterator[str]:
    name = make_namespace(client, "heroic-lead")
    yield name
    delete_object(client, "v1", "Namespace", name)


def test_only_the_lease_holder_reconciles_and_a_standby_takes_over(
    client: DynamicClient, lease_namespace: str
) -> None:
    namespace = lease_namespace
    first_cm = running_operator(_config(namespace, "replica-a"))
    first = first_cm.__enter__()
    try:
        wait_for("replica-a leads", lambda: _holder(client, namespace) == "replica-a")
        with running_operator(_config(namespace, "replica-b")) as second:
            apply_cluster(client, namespace, manifest("memory", "led"))
            wait_condition(client, namespace, "led")
            assert _reconciles(first) > 0
            assert _reconciles(second) == 0
            first_cm.__exit__(None, None, None)  # replica-a shuts down and hands over
            first_cm = None
            wait_for("replica-b leads", lambda: _holder(client, namespace) == "replica-b")
            patch_spec(client, namespace, "led", {"api": {"replicas": 3}})
            wait_for("replica-b reconciles", lambda: _reconciles(second) > 0)
            wait_condition(client, namespace, "led")
    finally:
        if first_cm is not None:
            first_cm.__exit__(None, None, None)


def test_a_failed_leader_election_stops_the_operator_with_its_error(
    lease_namespace: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Left running, an operator whose election died answers its probes and reconciles nothing.
    async def broken(self: object) -> bool:
        raise TypeError("call_api() got an unexpected keyword argument")

    monkeypatch.setattr(LeaseElector, "_acquire_or_renew", broken)
    operator = Operator(_config(lease_namespace, "replica-broken"))
    with (
        caplog.at_level("ERROR", logger="heroic_operator.process.app"),
        pytest.raises(OperatorFailedError, match="leader election failed: TypeError"),
    ):
        asyncio.run(asyncio.wait_for(operator.run(), timeout=30))
    assert "Leader election failed; stopping" in caplog.text
