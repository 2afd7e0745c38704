"""Helpers for the operator's integration tests: a HeroicCluster client, manifests from
tests/data/operator, waiting with timeouts, and the operator running in a thread."""

from __future__ import annotations

import asyncio
import copy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from lightkube import ApiError, Client
from lightkube.generic_resource import create_namespaced_resource
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.types import PatchType

from heroic_operator import naming as _naming
from heroic_operator.process.app import Operator, OperatorConfig

HeroicClusterResource = create_namespaced_resource(
    _naming.GROUP, _naming.VERSION, _naming.KIND, _naming.PLURAL
)

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "tests" / "data" / "operator"
CRD_FILE = ROOT / "crds" / "heroicclusters.heroic.dev.yaml"
RBAC_FILE = ROOT / "operator" / "rbac" / "rbac.yaml"
MANAGER = "heroic-tests"


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


def apply_cluster(client: Client, namespace: str, body: dict[str, Any]) -> None:
    client.patch(
        HeroicClusterResource,
        body["metadata"]["name"],
        body,
        namespace=namespace,
        patch_type=PatchType.APPLY,
        field_manager=MANAGER,
        force=True,
    )


def apply_crd(client: Client, body: dict[str, Any]) -> None:
    """Server-side apply of a CRD, as the tests' field manager."""
    client.patch(
        CustomResourceDefinition,
        body["metadata"]["name"],
        body,
        patch_type=PatchType.APPLY,
        field_manager=MANAGER,
        force=True,
    )


def patch_spec(client: Client, namespace: str, name: str, spec: dict[str, Any]) -> None:
    client.patch(
        HeroicClusterResource, name, {"spec": spec}, namespace=namespace, patch_type=PatchType.MERGE
    )


def get_cluster(client: Client, namespace: str, name: str) -> dict[str, Any]:
    obj = client.get(HeroicClusterResource, name, namespace=namespace)
    return obj.to_dict()  # type: ignore[no-any-return]


def condition(client: Client, namespace: str, name: str, kind: str) -> dict[str, Any]:
    status = get_cluster(client, namespace, name).get("status") or {}
    for cond in status.get("conditions") or []:
        if cond["type"] == kind:
            return cond  # type: ignore[no-any-return]
    return {}


def wait_condition(
    client: Client,
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


def exists(client: Client, resource: Any, name: str, namespace: str) -> bool:
    try:
        client.get(resource, name, namespace=namespace)
    except ApiError as exc:
        if exc.status.code == 404:
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
        wait_for(
            f"a reconcile of {namespace}/{name}",
            lambda before=before: (
                operator.controller is not None and operator.controller.reconciles[key] > before
            ),
            20,
        )
