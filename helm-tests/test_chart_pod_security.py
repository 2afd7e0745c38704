"""The operator pod passes the "restricted" Pod Security level, as rendered and as admitted."""

from __future__ import annotations

from typing import Any

import jmespath
import pytest
from helm_utils import one, render_chart

pytestmark = pytest.mark.helm


def restricted_violations(pod: dict[str, Any]) -> list[str]:
    """What the restricted level (Kubernetes 1.30+) would refuse in this pod spec."""
    problems: list[str] = []
    pod_ctx = pod.get("securityContext", {})
    if pod.get("hostNetwork") or pod.get("hostPID") or pod.get("hostIPC"):
        problems.append("host namespaces")
    problems += [
        f"volume {v['name']} is hostPath" for v in pod.get("volumes", []) if "hostPath" in v
    ]
    for container in pod["containers"] + pod.get("initContainers", []):
        ctx = container.get("securityContext", {})
        name = container["name"]
        if ctx.get("privileged"):
            problems.append(f"{name}: privileged")
        if ctx.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{name}: allowPrivilegeEscalation must be false")
        if ctx.get("capabilities", {}).get("drop") != ["ALL"]:
            problems.append(f"{name}: capabilities must drop ALL")
        if set(ctx.get("capabilities", {}).get("add", [])) - {"NET_BIND_SERVICE"}:
            problems.append(f"{name}: adds capabilities")
        if not ctx.get("runAsNonRoot", pod_ctx.get("runAsNonRoot")):
            problems.append(f"{name}: runAsNonRoot must be true")
        if ctx.get("runAsUser", pod_ctx.get("runAsUser")) == 0:
            problems.append(f"{name}: runs as uid 0")
        seccomp = ctx.get("seccompProfile", pod_ctx.get("seccompProfile", {})).get("type")
        if seccomp not in {"RuntimeDefault", "Localhost"}:
            problems.append(f"{name}: seccompProfile must be RuntimeDefault or Localhost")
        if any("hostPort" in p for p in container.get("ports", [])):
            problems.append(f"{name}: hostPort")
    return problems


def _pod(values: dict[str, Any] | None = None) -> dict[str, Any]:
    deployment = one(
        render_chart(values, show_only=["templates/operator-deployment.yaml"]), "Deployment"
    )
    pod: dict[str, Any] = jmespath.search("spec.template.spec", deployment)
    return pod


def test_default_operator_pod_meets_the_restricted_level() -> None:
    assert restricted_violations(_pod()) == []


def test_default_operator_container_has_a_read_only_root_filesystem() -> None:
    assert _pod()["containers"][0]["securityContext"]["readOnlyRootFilesystem"] is True


def test_the_restricted_check_catches_a_weakened_security_context() -> None:
    pod = _pod({"operator": {"securityContext": {"allowPrivilegeEscalation": True}}})
    assert restricted_violations(pod) == ["operator: allowPrivilegeEscalation must be false"]


def test_operator_pod_runs_as_the_images_non_root_uid() -> None:
    ctx = _pod()["securityContext"]
    assert (ctx["runAsNonRoot"], ctx["runAsUser"], ctx["runAsGroup"]) == (True, 10001, 10001)
