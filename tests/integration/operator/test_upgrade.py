"""An operator upgrade against the real control plane: a newer operator that renders the pod
templates differently holds them (no pod restarts, ``RequiresUpdate=True``) until the accept
annotation or a spec change lets the new rendering through.

The reconciler runs in the test's own event loop, once per step, with an explicit version; the
"newer operator" is the real builders plus one more label, as a new release might add."""

from __future__ import annotations

import asyncio
import copy
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import yaml
from kubernetes.dynamic import DynamicClient
from prometheus_client import REGISTRY

from heroic_operator import naming
from heroic_operator.desired.builders import BuildContext
from heroic_operator.desired.diff import with_desired_hash
from heroic_operator.kube import connect
from heroic_operator.reconcile import plan as reconcile
from heroic_operator.reconcile.reconciler import Reconciler
from tests.integration.operator.conftest import make_namespace
from tests.integration.operator.support import (
    CRD_API_VERSION,
    CRD_FILE,
    apply_cluster,
    apply_crd,
    condition,
    delete_object,
    get_cluster,
    get_object,
    list_kind,
    manifest,
    merge_patch,
    patch_spec,
    wait_for,
)

pytestmark = pytest.mark.kubernetes

NAME = "upgraded"
LABEL = "heroic.dev/test-rendered-by"


@pytest.fixture(scope="module")
def namespace(client: DynamicClient, crd: str) -> Iterator[str]:
    name = make_namespace(client, "heroic-upgrade")
    yield name
    delete_object(client, "v1", "Namespace", name)


def run_operator(namespace: str, version: str) -> None:
    """One reconcile of the cluster by an operator of ``version``."""

    async def once() -> None:
        kube = await connect(os.environ["KUBECONFIG"])
        try:
            await Reconciler(kube, version=version)(namespace, NAME)
        finally:
            await kube.close()

    asyncio.run(once())


def rendering_of(version: str) -> Callable[[BuildContext], list[dict[str, Any]]]:
    """The real builders, plus a label on every pod template and Service naming ``version``."""
    real = reconcile.build_all

    def build(context: BuildContext) -> list[dict[str, Any]]:
        out = []
        for obj in copy.deepcopy(real(context)):
            obj["metadata"]["annotations"].pop(naming.ANNOTATION_DESIRED_HASH)
            if obj["kind"] == "Deployment":
                obj["spec"]["template"]["metadata"]["labels"][LABEL] = version
            if obj["kind"] == "Service":
                obj["metadata"]["labels"][LABEL] = version
            out.append(with_desired_hash(obj))
        return out

    return build


def deployments(client: DynamicClient, namespace: str) -> dict[str, tuple[int, str | None]]:
    """name → (generation, the test label on its pod template)."""
    labels: dict[str, Any] = {naming.LABEL_INSTANCE: NAME}
    return {
        d.metadata.name: (d.metadata.generation, (d.spec.template.metadata.labels or {}).get(LABEL))
        for d in list_kind(client, "apps/v1", "Deployment", namespace, labels=labels)
    }


def service_labels(client: DynamicClient, namespace: str) -> set[str | None]:
    labels: dict[str, Any] = {naming.LABEL_INSTANCE: NAME}
    return {
        (s.metadata.labels or {}).get(LABEL)
        for s in list_kind(client, "v1", "Service", namespace, labels=labels)
    }


def held_gauge(namespace: str) -> float | None:
    labels = {"namespace": namespace, "cluster": NAME}
    return REGISTRY.get_sample_value("heroic_operator_children_held", labels)


def operator_record(client: DynamicClient, namespace: str) -> Any:
    return (get_cluster(client, namespace, NAME).get("status") or {}).get("operator")


def test_an_upgraded_operator_holds_pod_templates_until_accepted_or_the_spec_changes(
    client: DynamicClient, namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply_cluster(client, namespace, manifest("memory", NAME))
    generation = get_cluster(client, namespace, NAME)["metadata"]["generation"]
    monkeypatch.setattr(reconcile, "build_all", rendering_of("0.1.0"))
    run_operator(namespace, "0.1.0")
    before = deployments(client, namespace)
    assert before
    assert all(label == "0.1.0" for _, label in before.values())
    assert operator_record(client, namespace) == {"version": "0.1.0", "generation": generation}

    # A newer operator, same spec: pod templates held, Services applied as usual.
    monkeypatch.setattr(reconcile, "build_all", rendering_of("0.2.0"))
    run_operator(namespace, "0.2.0")
    assert deployments(client, namespace) == before
    assert service_labels(client, namespace) == {"0.2.0"}
    held = condition(client, namespace, NAME, "RequiresUpdate")
    assert (held["status"], held["reason"]) == ("True", "OperatorUpgraded")
    assert "heroic.dev/accept-operator-upgrade=0.2.0" in held["message"]
    assert all(name in held["message"] for name in before)
    assert held_gauge(namespace) == len(before)  # the Deployments; the ConfigMap did not change
    assert operator_record(client, namespace) == {"version": "0.1.0", "generation": generation}
    run_operator(namespace, "0.2.0")
    assert deployments(client, namespace) == before

    # The SRE accepts this version: the pods roll once.
    merge_patch(
        client,
        naming.API_VERSION,
        naming.KIND,
        NAME,
        {"metadata": {"annotations": {naming.ANNOTATION_ACCEPT_OPERATOR_UPGRADE: "0.2.0"}}},
        namespace=namespace,
    )
    run_operator(namespace, "0.2.0")
    accepted = deployments(client, namespace)
    assert {name: label for name, (_, label) in accepted.items()} == dict.fromkeys(before, "0.2.0")
    assert all(accepted[name][0] == before[name][0] + 1 for name in before)
    released = condition(client, namespace, NAME, "RequiresUpdate")
    assert (released["status"], released["reason"]) == ("False", "UpToDate")
    assert held_gauge(namespace) == 0
    assert operator_record(client, namespace) == {"version": "0.2.0", "generation": generation}

    # Another release, not accepted: held again, until the spec changes.
    monkeypatch.setattr(reconcile, "build_all", rendering_of("0.3.0"))
    run_operator(namespace, "0.3.0")
    assert deployments(client, namespace) == accepted
    patch_spec(client, namespace, NAME, {"api": {"replicas": 3}})
    run_operator(namespace, "0.3.0")
    changed = deployments(client, namespace)
    assert {label for _, label in changed.values()} == {"0.3.0"}
    api = get_object(
        client, "apps/v1", "Deployment", naming.fullname(NAME, naming.COMPONENT_API), namespace
    )
    assert api.spec.replicas == 3
    assert operator_record(client, namespace) == {"version": "0.3.0", "generation": generation + 1}


def reconcile_writes(namespace: str, name: str) -> int:
    """The API writes one reconcile of ``name`` made."""

    async def once() -> int:
        kube = await connect(os.environ["KUBECONFIG"])
        try:
            reconciler = Reconciler(kube)
            await reconciler(namespace, name)
            return reconciler.applier.total_writes
        finally:
            await kube.close()

    return asyncio.run(once())


def status_properties(client: DynamicClient) -> set[str]:
    crd = get_object(
        client, CRD_API_VERSION, "CustomResourceDefinition", f"{naming.PLURAL}.{naming.GROUP}"
    ).to_dict()
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return set(schema["properties"]["status"]["properties"])


def test_an_older_crd_still_gets_a_status_and_no_write_loop(
    client: DynamicClient, namespace: str, caplog: pytest.LogCaptureFixture
) -> None:
    current = yaml.safe_load(CRD_FILE.read_text())
    older = copy.deepcopy(current)
    del older["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"][
        "properties"
    ]["operator"]
    apply_crd(client, older)
    try:
        wait_for("the older CRD", lambda: "operator" not in status_properties(client))
        apply_cluster(client, namespace, manifest("memory", "skewed"))
        assert reconcile_writes(namespace, "skewed") > 0  # children and the first status
        # the Deployments' progress changes the status until Ready; a write loop never settles

        def settled() -> bool:
            quiet = reconcile_writes(namespace, "skewed") == 0
            conditions = (get_cluster(client, namespace, "skewed").get("status") or {}).get(
                "conditions"
            ) or []
            ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
            return quiet and ready

        wait_for("Ready, then a reconcile without writes", settled)
        assert reconcile_writes(namespace, "skewed") == 0
        assert "operator" not in (get_cluster(client, namespace, "skewed").get("status") or {})
        assert "cannot hold status.operator" in caplog.text
    finally:
        apply_crd(client, current)
        wait_for("the current CRD", lambda: "operator" in status_properties(client))
