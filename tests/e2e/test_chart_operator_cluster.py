"""The part of the end-to-end path that needs no real containers, on any cluster in KUBECONFIG.

helm installs the chart (CRD, RBAC, operator Deployment); the operator then runs as a local
process with exactly the arguments the chart gives its container and with the chart's
ServiceAccount token, so the chart's RBAC alone must be enough; the memory example becomes
Ready. On the local control plane kwok plays the kubelet, so the API Deployment becomes
Available without a container running; writing and querying points needs real pods and is in
test_kind.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from heroic_core.config import HeroicConfig
from heroic_testenv.procs import free_port
from tests.e2e.support import (
    HEROIC,
    condition,
    example,
    helm,
    install_chart,
    kubectl,
    kubectl_json,
    local_process,
    service_account_kubeconfig,
    wait_for,
)

pytestmark = [pytest.mark.kubernetes, pytest.mark.helm]
RELEASE = "e2e"


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[str]:
    """A namespace with the chart installed; uninstalled and deleted afterwards."""
    namespace = f"e2e-{uuid.uuid4().hex[:8]}"
    install_chart(RELEASE, namespace, "--create-namespace", "--wait=false")
    try:
        yield namespace
    finally:
        kubectl(
            "delete", "heroicclusters", "--all", "-n", namespace, "--wait=true", "--timeout=60s"
        )
        helm("uninstall", RELEASE, "--namespace", namespace)
        kubectl("delete", "namespace", namespace, "--wait=false")


def _operator_args(namespace: str) -> tuple[list[str], str]:
    deployment = kubectl_json("get", "deployment", f"{RELEASE}-heroic-operator", "-n", namespace)
    pod = deployment["spec"]["template"]["spec"]
    container = next(c for c in pod["containers"] if c["name"] == "operator")
    return list(container["args"]), pod["serviceAccountName"]


def _with_free_ports(args: list[str]) -> list[str]:
    """The chart's arguments, with every port moved to a free one (we run beside other tests)."""
    out = []
    for arg in args:
        name, _, value = arg.partition("=")
        out.append(f"{name}={free_port()}" if name.endswith("port") and value.isdigit() else arg)
    return out


def test_chart_operator_and_memory_cluster_become_ready(installed: str, tmp_path: Path) -> None:
    namespace = installed
    args, account = _operator_args(namespace)
    assert args[0] == "operator"
    kubeconfig = service_account_kubeconfig(namespace, account, tmp_path / "operator.kubeconfig")
    log = tmp_path / "operator.log"
    with local_process(
        [HEROIC, *_with_free_ports(args)],
        log,
        {"KUBECONFIG": str(kubeconfig), "POD_NAMESPACE": namespace},
    ) as operator:
        cluster = example("memory.yaml")
        name = cluster["metadata"]["name"]
        kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(cluster))

        def ready() -> bool:
            obj = kubectl_json("get", "heroiccluster", name, "-n", namespace)
            cond = condition(obj, "Ready")
            return cond is not None and cond["status"] == "True"

        wait_for(f"HeroicCluster {name} Ready", ready, timeout=180, process=operator, log=log)
        obj = kubectl_json("get", "heroiccluster", name, "-n", namespace)
        assert obj["status"]["observedGeneration"] == obj["metadata"]["generation"]
        api = kubectl_json("get", "deployment", f"{name}-heroic-api", "-n", namespace)
        assert api["status"].get("availableReplicas", 0) >= 1
        config_maps = kubectl_json(
            "get", "configmap", "-n", namespace, "-l", f"app.kubernetes.io/instance={name}"
        )["items"]
        rendered = {
            key: yaml.safe_load(text)
            for cm in config_maps
            for key, text in (cm.get("data") or {}).items()
            if key.endswith((".yml", ".yaml"))
        }
        assert rendered, "no ConfigMap with a rendered heroic config"
        api_yaml = rendered.get("api.yml") or next(iter(rendered.values()))
        api_config = HeroicConfig.from_dict(api_yaml)
        assert [b.type for b in api_config.metrics.backends] == ["memory"]
