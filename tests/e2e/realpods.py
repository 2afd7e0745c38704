"""Support for the end-to-end tests on running containers.

Where they run:
- on the test environment's real node (``node`` component: containerd + kubelet on this
  machine): the images are built without Docker and imported into the node's containerd, and
  the test namespace is annotated so that its pods land on that node (kwok's fake node takes
  everything else);
- on any other cluster (kind, a real one) in KUBECONFIG: set ``HEROIC_E2E_IMAGE`` (and
  ``HEROIC_E2E_ES_IMAGE``) to images its nodes already have, and ``HEROIC_E2E_BACKEND_HOST`` to
  the address at which its pods reach Kafka, Cassandra and the Google fakes.

A pod that does not become Ready fails the test with its events, ``describe`` and logs.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from heroic_operator import naming
from heroic_testenv.images import ensure_image
from heroic_testenv.node.containerd import Ctr
from heroic_testenv.node.layout import real_node_namespace_annotations
from heroic_testenv.procs import free_port
from tests.e2e.support import condition, example, kubectl, kubectl_json

RELEASE = "heroic"
#: Two cores run everything: every tier gets one small replica unless a test wants more.
SMALL = {"requests": {"cpu": "20m", "memory": "128Mi"}, "limits": {"memory": "768Mi"}}


@dataclass(frozen=True)
class Target:
    """Where the real-pod tests run and with which images."""

    image: str
    es_image: str
    backend_host: str
    namespace_annotations: dict[str, str] = field(default_factory=dict)
    #: ctr against the node's containerd, where the tests can reach it (SIGKILL a container).
    ctr: Ctr | None = None

    def for_pods(self, host_port: str) -> str:
        """The address at which pods reach a backend the tests reach at ``host_port``."""
        return f"{self.backend_host}:{host_port.rsplit(':', 1)[1]}"

    def kafka_for_pods(self) -> str:
        """Kafka's listener that advertises an address pods can reach."""
        servers = os.environ.get("KAFKA_POD_BOOTSTRAP_SERVERS")
        if not servers:
            pytest.skip("Kafka has no listener for pods (KAFKA_POD_BOOTSTRAP_SERVERS unset)")
        return servers


def target() -> Target:
    """The real node of the test environment, or the cluster the environment names."""
    if os.environ.get("TESTENV_NODE"):
        ctr = Ctr(Path(os.environ["TESTENV_CTR"]), Path(os.environ["CONTAINERD_ADDRESS"]))
        refs = {}
        for name in ("heroic", "elasticsearch"):
            built = ensure_image(name)
            ctr.import_image(built.archive, built.ref)
            refs[name] = built.ref
        return Target(
            image=refs["heroic"],
            es_image=refs["elasticsearch"],
            backend_host=os.environ["TESTENV_NODE_HOST_IP"],
            namespace_annotations=real_node_namespace_annotations(),
            ctr=ctr,
        )
    image = os.environ.get("HEROIC_E2E_IMAGE")
    host = os.environ.get("HEROIC_E2E_BACKEND_HOST")
    if not image or not host:
        pytest.skip(
            "no real node: run with the test environment's node component (root on Linux), or "
            "set HEROIC_E2E_IMAGE, HEROIC_E2E_ES_IMAGE and HEROIC_E2E_BACKEND_HOST for a cluster"
        )
    es_image = os.environ.get("HEROIC_E2E_ES_IMAGE", "localhost/elasticsearch:7.10.2")
    return Target(image=image, es_image=es_image, backend_host=host)


def diagnose(namespace: str, selector: str = "") -> str:
    """Events, ``describe`` and container logs of the namespace's pods (or those selected)."""
    kubectl_bin = os.environ["KUBECTL"]

    def out(*args: str) -> str:
        proc = subprocess.run(
            [kubectl_bin, *args], capture_output=True, text=True, check=False, timeout=60
        )
        return (proc.stdout + proc.stderr)[-6000:]

    sel = ["-l", selector] if selector else []
    parts = [
        "== events",
        out("get", "events", "-n", namespace, "--sort-by=.lastTimestamp"),
        "== pods",
        out("get", "pods", "-n", namespace, "-o", "wide", *sel),
        "== describe",
        out("describe", "pods", "-n", namespace, *sel),
        "== logs",
        out("logs", "-n", namespace, "--all-containers", "--prefix", "--tail=40", *sel)
        if sel
        else "",
    ]
    return "\n".join(parts)


def wait_or_diagnose(
    what: str | Callable[[], str],
    check: Callable[[], bool],
    namespace: str,
    selector: str = "",
    timeout: float = 240,
) -> float:
    """Poll ``check``; on timeout fail with the pods' events, describe and logs. ``what`` may be
    a function, asked at the end (to say what was last seen)."""
    started = time.monotonic()
    last: Exception | None = None
    while time.monotonic() - started < timeout:
        try:
            if check():
                return time.monotonic() - started
        except Exception as exc:  # noqa: BLE001 - a failing probe means not yet
            last = exc
        time.sleep(2)
    detail = f" (last error: {last})" if last else ""
    said = what() if callable(what) else what
    pytest.fail(f"timed out after {timeout:.0f}s: {said}{detail}\n{diagnose(namespace, selector)}")


def pods(namespace: str, selector: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = kubectl_json("get", "pods", "-n", namespace, "-l", selector)[
        "items"
    ]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def all_ready(namespace: str, selector: str, count: int | None = None) -> bool:
    """Every selected pod Ready (by the kubelet's probes), and ``count`` of them if given."""
    found = pods(namespace, selector)
    if not found or (count is not None and len(found) != count):
        return False
    return all(
        any(
            c["type"] == "Ready" and c["status"] == "True"
            for c in p["status"].get("conditions", [])
        )
        for p in found
    )


@contextlib.contextmanager
def port_forward(namespace: str, resource: str, remote: int) -> Iterator[str]:
    """``kubectl port-forward`` for the block; yields the local base URL."""
    local = free_port()
    proc = subprocess.Popen(
        [os.environ["KUBECTL"], "port-forward", "-n", namespace, resource, f"{local}:{remote}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                output = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"kubectl port-forward {resource} exited: {output}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", local), 1):
                break
            time.sleep(0.3)
        yield f"http://127.0.0.1:{local}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def exec_in(namespace: str, resource: str, *command: str) -> str:
    return kubectl("exec", "-n", namespace, resource, "--", *command)


def instance(name: str) -> str:
    return f"{naming.LABEL_INSTANCE}={name}"


def adapted(name: str, real: Target, replicas: int = 1) -> dict[str, Any]:
    """An example HeroicCluster with our image and small replicas (two cores run everything);
    the test puts its backends in."""
    doc = example(name, image=real.image)
    spec = doc["spec"]
    spec["imagePullPolicy"] = "Never"
    spec["api"].update(replicas=1, resources=SMALL)
    spec["api"].pop("autoscaling", None)
    spec["api"]["disruptionBudget"] = {"enabled": False}
    for group in spec.get("consumers", []):
        group.update(replicas=replicas, resources=SMALL)
        group.pop("autoscaling", None)
    return doc


def apply_ready(namespace: str, doc: dict[str, Any], timeout: float = 300) -> dict[str, Any]:
    """Apply a HeroicCluster and wait for Ready (its pods Ready by the kubelet's probes)."""
    kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(doc))
    name = doc["metadata"]["name"]
    return wait_cluster_ready(namespace, name, timeout)


def wait_cluster_ready(namespace: str, name: str, timeout: float = 300) -> dict[str, Any]:
    def ready() -> bool:
        obj = kubectl_json("get", "heroiccluster", name, "-n", namespace)
        cond = condition(obj, "Ready")
        generation_seen = (
            obj.get("status", {}).get("observedGeneration") == obj["metadata"]["generation"]
        )
        return cond is not None and cond["status"] == "True" and generation_seen

    wait_or_diagnose(f"HeroicCluster {name} Ready", ready, namespace, instance(name), timeout)
    return dict(kubectl_json("get", "heroiccluster", name, "-n", namespace))


def query_count(base: str, key: str, start: int, end: int) -> int:
    """Points of ``key`` in [start, end), summed over its series, through the API."""
    body = {"range": {"type": "absolute", "start": start, "end": end}, "filter": ["key", key]}
    response = httpx.post(
        f"{base}/query/metrics", json=body, headers={"x-client-id": "e2e"}, timeout=30
    )
    if response.status_code != 200:
        raise AssertionError(f"query answered {response.status_code}: {response.text[:500]}")
    return sum(len(series["values"]) for series in response.json()["result"])


#: What the restricted Pod Security Standard asks of every container.
RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def restricted_container(image: str, command: list[str] | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {
        "name": "main",
        "image": image,
        "imagePullPolicy": "Never",
        "securityContext": {**RESTRICTED_CONTAINER, "readOnlyRootFilesystem": True},
    }
    if command:
        container["command"] = command
    return container


RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def run_pod(real: Target, namespace: str, prefix: str, command: list[str]) -> str:
    """Run ``command`` in a restricted pod of our image to completion; returns its log."""
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": {**RESTRICTED_POD, "runAsUser": 10001},
            "containers": [restricted_container(real.image, command)],
        },
    }
    kubectl("apply", "-n", namespace, "-f", "-", stdin=json.dumps(pod))

    def done() -> bool:
        phase = kubectl_json("get", "pod", name, "-n", namespace)["status"].get("phase")
        if phase == "Failed":
            pytest.fail(f"pod {name} failed:\n{diagnose(namespace)}")
        return bool(phase == "Succeeded")

    wait_or_diagnose(f"pod {name} to finish", done, namespace, timeout=120)
    log = kubectl("logs", "-n", namespace, name)
    kubectl("delete", "pod", name, "-n", namespace, "--wait=false")
    return log
