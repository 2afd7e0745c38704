"""The chart, the operator and Heroic on running containers.

helm installs the chart into a namespace under the restricted Pod Security Standard; the
operator runs as a pod of our image under the chart's ServiceAccount; HeroicClusters become
Ready through the kubelet's own probes; their configure Jobs run as pods; points travel from
Kafka and Pub/Sub through consumer pods to the backends and back out of API pods. See
``realpods.py`` for where this runs (the test environment's real node, or any cluster).
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import httpx
import pytest

from heroic_core.version import package_version
from heroic_operator import naming
from tests.e2e.realpods import (
    RELEASE,
    Target,
    adapted,
    apply_ready,
    exec_in,
    instance,
    pods,
    port_forward,
    query_count,
    run_pod,
)
from tests.e2e.support import kubectl, kubectl_json

pytestmark = [pytest.mark.kubernetes, pytest.mark.helm, pytest.mark.node]
HOUR = 3_600_000  # query ranges well around the points (the API aligns ranges to its cadence)
#: Run inside a pod of our image: count the points of a key through the API at a URL.
COUNT_SCRIPT = """
import json, sys, urllib.request
url, key, start, end = sys.argv[1:]
body = {"range": {"type": "absolute", "start": int(start), "end": int(end)}, "filter": ["key", key]}
request = urllib.request.Request(
    url,
    data=json.dumps(body).encode(),
    headers={"content-type": "application/json", "x-client-id": "e2e"},
)
result = json.load(urllib.request.urlopen(request, timeout=20))["result"]
print(sum(len(series["values"]) for series in result))
"""


def test_operator_runs_as_a_pod_of_our_image(real: Target, namespace: str, operator: str) -> None:
    (pod,) = pods(namespace, operator)
    (container,) = pod["spec"]["containers"]
    assert container["image"] == real.image
    assert pod["spec"]["serviceAccountName"] == f"{RELEASE}-heroic-operator"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    status = pod["status"]["containerStatuses"][0]
    assert status["ready"] is True
    assert "running" in status["state"]
    # The operator really talks to the apiserver from inside the pod (in-cluster config).
    logs = kubectl("logs", "-n", namespace, pod["metadata"]["name"])
    assert "Traceback" not in logs


def test_memory_cluster_serves_points_through_a_port_forward_and_the_cluster_ip(
    real: Target, namespace: str, operator: str
) -> None:
    doc = adapted("memory.yaml", real)
    # spec.api's query settings reach the pod's heroic.yml and do what they say there
    doc["spec"]["api"]["resultCache"] = {"type": "memory", "maxSize": "16Mi"}
    doc["spec"]["api"]["queryLogging"] = {"enabled": True}
    name = doc["metadata"]["name"]
    apply_ready(namespace, doc)
    api_pods = pods(namespace, f"{instance(name)},{naming.LABEL_COMPONENT}=api")
    assert api_pods, "no API pod"
    for pod in api_pods:
        (status,) = pod["status"]["containerStatuses"]
        assert status["ready"] is True
        assert "running" in status["state"]
        assert pod["spec"]["nodeName"]  # scheduled onto a node that runs it
    api = naming.api_name(name)
    # kubectl exec and logs reach the container through the kubelet
    version = exec_in(namespace, f"deployment/{api}", "heroic", "--version").strip()
    assert version == f"heroic {package_version()}"
    now = int(time.time() * 1000) // 1000 * 1000
    # Ten minutes back: the API leaves out points of the current, unfinished cadence.
    points = [[now - 600_000 - 10_000 * i, float(i)] for i in range(10)]
    with port_forward(namespace, f"service/{api}", 8080) as base:
        write = {
            "series": {"key": "e2e-mem", "tags": {"host": "a"}},
            "data": {"type": "points", "data": points},
        }
        httpx.post(f"{base}/write", json=write, timeout=30).raise_for_status()
        assert query_count(base, "e2e-mem", now - HOUR, now + HOUR) == 10
        hourly = {
            "range": {"type": "absolute", "start": now - HOUR, "end": now + HOUR},
            "filter": ["key", "e2e-mem"],
            "aggregation": {"type": "sum", "sampling": {"unit": "hours", "value": 1}},
        }
        answers = []
        for _ in range(2):
            response = httpx.post(
                f"{base}/query/metrics", json=hourly, headers={"x-client-id": "e2e"}, timeout=30
            )
            assert response.status_code == 200, response.text[:500]
            answers.append(response.json())
    assert [a["cached"] for a in answers] == [False, True]
    assert answers[1]["result"] == answers[0]["result"]
    logs = kubectl("logs", "-n", namespace, f"deployment/{api}")
    assert logs.strip(), "the API pod logged nothing"
    logged = [json.loads(line) for line in logs.splitlines() if '"Query answered"' in line]
    assert [entry["cached"] for entry in logged[-2:]] == [False, True]
    # Another pod reaches the API through the Service's ClusterIP, by its DNS name.
    url = f"http://{api}.{namespace}.svc.cluster.local:8080/query/metrics"
    argv = ["python", "-c", COUNT_SCRIPT, url, "e2e-mem", str(now - HOUR), str(now + HOUR)]
    out = run_pod(real, namespace, "client", argv)
    assert out.strip().splitlines()[-1] == "10"


def test_restricted_pod_security_is_enforced_and_every_pod_of_ours_is_read_only(
    real: Target, namespace: str, operator: str
) -> None:
    privileged = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "privileged"},
        "spec": {
            "containers": [
                {
                    "name": "main",
                    "image": real.image,
                    "securityContext": {"privileged": True},
                }
            ]
        },
    }
    proc = subprocess.run(
        [os.environ["KUBECTL"], "apply", "-n", namespace, "-f", "-"],
        input=json.dumps(privileged),
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "violates PodSecurity" in proc.stderr
    ours = kubectl_json("get", "pods", "-n", namespace, "-l", "app.kubernetes.io/name=heroic")
    assert ours["items"]
    for pod in ours["items"]:
        for container in pod["spec"]["containers"]:
            assert container["securityContext"]["readOnlyRootFilesystem"] is True, pod["metadata"]
