"""Helpers for the operator's integration tests: a client of the official Kubernetes client
(its ``DynamicClient``, objects named by apiVersion and kind), manifests from tests/data/operator,
waiting with timeouts, and the operator running in a thread."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import config as kube_config
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

from heroic_operator import naming
from heroic_operator.process.app import Operator, OperatorConfig

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "operator"
CRD_FILE = ROOT / "crds" / "heroicclusters.heroic.dev.yaml"
RBAC_FILE = ROOT / "operator" / "rbac" / "rbac.yaml"
MANAGER = "heroic-tests"
CRD_API_VERSION = "apiextensions.k8s.io/v1"
MERGE_PATCH = "application/merge-patch+json"


def dynamic_client(kubeconfig: str | None = None) -> DynamicClient:
    """A client for any apiVersion and kind, from a kubeconfig file (default ``$KUBECONFIG``)."""
    api = kube_config.new_client_from_config(config_file=kubeconfig or os.environ["KUBECONFIG"])
    return DynamicClient(api)


def resource(client: DynamicClient, api_version: str, kind: str) -> Any:
    """The API resource of ``kind`` in ``api_version``, found by discovery."""
    return client.resources.get(api_version=api_version, kind=kind)


def get_object(
    client: DynamicClient, api_version: str, kind: str, name: str, namespace: str | None = None
) -> Any:
    """One object, with attribute access to its fields (``obj.metadata.name``)."""
    return resource(client, api_version, kind).get(name=name, namespace=namespace)


def _selector(terms: dict[str, str] | None) -> str | None:
    return ",".join(f"{key}={value}" for key, value in terms.items()) if terms else None


def list_kind(
    client: DynamicClient,
    api_version: str,
    kind: str,
    namespace: str | None = None,
    *,
    labels: dict[str, str] | None = None,
    fields: dict[str, str] | None = None,
) -> list[Any]:
    """The objects of one kind (in one namespace), selected by equality of labels and fields."""
    found = resource(client, api_version, kind).get(
        namespace=namespace, label_selector=_selector(labels), field_selector=_selector(fields)
    )
    return list(found.items)


def create_object(client: DynamicClient, body: dict[str, Any], namespace: str | None = None) -> Any:
    """Create ``body`` (with its apiVersion and kind) as the tests' field manager."""
    kind = resource(client, body["apiVersion"], body["kind"])
    return kind.create(body=body, namespace=namespace, field_manager=MANAGER)


def delete_object(
    client: DynamicClient, api_version: str, kind: str, name: str, namespace: str | None = None
) -> None:
    resource(client, api_version, kind).delete(name=name, namespace=namespace)


def apply_object(
    client: DynamicClient,
    body: dict[str, Any],
    namespace: str | None = None,
    *,
    field_manager: str = MANAGER,
) -> Any:
    """Server-side apply of ``body`` (with its apiVersion and kind), forcing conflicts."""
    kind = resource(client, body["apiVersion"], body["kind"])
    return kind.server_side_apply(
        body=body,
        name=body["metadata"]["name"],
        namespace=namespace,
        field_manager=field_manager,
        force_conflicts=True,
    )


def merge_patch(
    client: DynamicClient,
    api_version: str,
    kind: str,
    name: str,
    patch: dict[str, Any],
    *,
    namespace: str | None = None,
    field_manager: str = MANAGER,
) -> Any:
    """A JSON merge patch (RFC 7386) of one object."""
    return resource(client, api_version, kind).patch(
        body=patch,
        name=name,
        namespace=namespace,
        content_type=MERGE_PATCH,
        field_manager=field_manager,
    )


def api_message(exc: ApiException) -> str:
    """The message of the Status an API error answered with (``exc.status`` is the HTTP code)."""
    try:
        return str(json.loads(exc.body).get("message") or "")
    except (TypeError, ValueError):
        return str(exc.body or "")


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail with ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def manifest(name: str, metadata_name: str, **spec: Any) -> dict[str, Any]:
    """An input manifest renamed, with top-level spec keys replaced."""
    body: dict[str, Any] = yaml.safe_load((DATA / "input" / f"{name}.yaml").read_text())
    body["metadata"] = {"name": metadata_name}
    body["spec"] = {**copy.deepcopy(body["spec"]), **spec}
    return body


def apply_cluster(client: DynamicClient, namespace: str, body: dict[str, Any]) -> None:
    apply_object(client, {"apiVersion": naming.API_VERSION, "kind": naming.KIND, **body}, namespace)


def apply_crd(client: DynamicClient, body: dict[str, Any]) -> None:
    """Server-side apply of a CRD, as the tests' field manager."""
    apply_object(
        client, {"apiVersion": CRD_API_VERSION, "kind": "CustomResourceDefinition", **body}
    )


def patch_spec(client: DynamicClient, namespace: str, name: str, spec: dict[str, Any]) -> None:
    merge_patch(client, naming.API_VERSION, naming.KIND, name, {"spec": spec}, namespace=namespace)


def get_cluster(client: DynamicClient, namespace: str, name: str) -> dict[str, Any]:
    obj = get_object(client, naming.API_VERSION, naming.KIND, name, namespace)
    return obj.to_dict()  # type: ignore[no-any-return]


def condition(client: DynamicClient, namespace: str, name: str, kind: str) -> dict[str, Any]:
    status = get_cluster(client, namespace, name).get("status") or {}
    for cond in status.get("conditions") or []:
        if cond["type"] == kind:
            return cond  # type: ignore[no-any-return]
    return {}


def wait_condition(
    client: DynamicClient,
    namespace: str,
    name: str,
    kind: str = "Ready",
    *,
    status: str = "True",
    reason: str | None = None,
    timeout: float = 30.0,
) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        cond = condition(client, namespace, name, kind)
        ok = cond.get("status") == status and (reason is None or cond.get("reason") == reason)
        return cond if ok else None

    return wait_for(f"{kind}={status} ({reason}) on {namespace}/{name}", check, timeout)  # type: ignore[no-any-return]


def exists(client: DynamicClient, api_version: str, kind: str, name: str, namespace: str) -> bool:
    try:
        get_object(client, api_version, kind, name, namespace)
    except ApiException as exc:
        if exc.status == 404:
            return False
        raise
    return True


@contextmanager
def running_operator(config: OperatorConfig) -> Iterator[Operator]:
    """The operator in a background thread with its own event loop, stopped afterwards."""
    operator = Operator(config)
    stop = threading.Event()
    errors: list[BaseException] = []

    def main() -> None:
        try:
            asyncio.run(operator.run(stop))
        except BaseException as exc:  # noqa: BLE001 - reported by the fixture
            errors.append(exc)

    thread = threading.Thread(target=main, name="heroic-operator", daemon=True)
    thread.start()
    wait_for("operator started", lambda: operator.started.is_set() or errors, 20)
    wait_for("operator ready", lambda: operator.ready() or errors, 30)
    if errors:
        raise errors[0]
    try:
        yield operator
    finally:
        stop.set()
        thread.join(40)
        assert not thread.is_alive(), "operator did not stop"


def reconcile_now(operator: Operator, namespace: str, name: str, times: int = 1) -> None:
    """Ask for ``times`` reconciles of one cluster and wait until they ran."""
    assert operator.controller is not None
    key = (namespace, name)
    for _ in range(times):
        before = operator.controller.reconciles[key]
        operator.request_reconcile(namespace, name)

        def ran(before: int = before) -> bool:
            return operator.controller is not None and operator.controller.reconciles[key] > before

        wait_for(f"a reconcile of {namespace}/{name}", ran, 20)
