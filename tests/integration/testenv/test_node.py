"""The test environment's real node: registered beside kwok's, tainted so that only namespaces
that ask for it run there, and its pods get cluster DNS, the apiserver through the kubernetes
Service (verified TLS with the ServiceAccount token), and the loopback backends at the node's
host address."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator

import pytest

from heroic_testenv.node.layout import (
    NODE_LABEL,
    real_node_namespace_annotations,
    restricted_namespace,
)
from tests.e2e import realpods
from tests.e2e.support import kubectl, kubectl_json

pytestmark = [pytest.mark.kubernetes, pytest.mark.node, pytest.mark.kafka]

#: Run in a pod: DNS, the apiserver with the pod's own credentials, a backend on the host.
PROBE = """
import json, socket, ssl, sys, urllib.request
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
print("dns", socket.gethostbyname("kubernetes.default.svc.cluster.local"))
context = ssl.create_default_context(cafile=f"{sa}/ca.crt")
token = open(f"{sa}/token").read()
request = urllib.request.Request(
    "https://kubernetes.default.svc/version", headers={"Authorization": f"Bearer {token}"}
)
print("version", json.load(urllib.request.urlopen(request, context=context))["gitVersion"])
host, port = sys.argv[1].rsplit(":", 1)
socket.create_connection((host, int(port)), timeout=5).close()
print("backend ok")
"""


@pytest.fixture
def namespaces() -> Iterator[tuple[str, str]]:
    suffix = uuid.uuid4().hex[:6]
    real, fake = f"node-real-{suffix}", f"node-fake-{suffix}"
    kubectl(
        "apply",
        "-f",
        "-",
        stdin=restricted_namespace(real, real_node_namespace_annotations()),
    )
    kubectl("create", "namespace", fake)
    try:
        yield real, fake
    finally:
        kubectl("delete", "namespace", real, fake, "--wait=false")


def test_the_node_is_ready_tainted_and_runs_containerd() -> None:
    node = kubectl_json("get", "node", os.environ["TESTENV_NODE"])
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://2.")
    assert node["metadata"]["labels"][NODE_LABEL] == "real"
    assert [t["key"] for t in node["spec"]["taints"]] == [NODE_LABEL]


def test_only_namespaces_that_ask_run_on_it_and_their_pods_reach_dns_apiserver_and_backends(
    namespaces: tuple[str, str],
) -> None:
    real_ns, fake_ns = namespaces
    target = realpods.target()
    # A pod elsewhere stays on kwok's node (it does not tolerate the taint).
    plain = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "plain"},
             "spec": {"containers": [{"name": "main", "image": target.image}]}}  # fmt: skip
    kubectl("apply", "-n", fake_ns, "-f", "-", stdin=json.dumps(plain))
    realpods.wait_or_diagnose(
        "the plain pod scheduled",
        lambda: bool(kubectl_json("get", "pod", "plain", "-n", fake_ns)["spec"].get("nodeName")),
        fake_ns,
    )
    assert kubectl_json("get", "pod", "plain", "-n", fake_ns)["spec"]["nodeName"] == "kwok-node-0"
    backend = os.environ["KAFKA_POD_BOOTSTRAP_SERVERS"]
    out = realpods.run_pod(target, real_ns, "probe", ["python", "-c", PROBE, backend])
    lines = dict(line.split(" ", 1) for line in out.strip().splitlines())
    assert lines["dns"] == "10.0.0.1"
    assert lines["version"].startswith("v1.")
    assert lines["backend"] == "ok"
