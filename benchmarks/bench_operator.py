"""Operator benchmark against the local control plane (prints figures; asserts nothing).

Runs ``heroic operator`` as a subprocess watching a fresh namespace and measures:
- 1 cluster without configure Jobs: apply → all children created → Ready;
- 1 cluster with configure Jobs (Cassandra + Elasticsearch): apply → Jobs complete → Ready,
  and the delay from the last Job's completion to Ready;
- 50 clusters applied at once: → all children created → all Ready;
- API writes per steady-state reconcile (each cluster re-reconciled via an annotation touch);
- the operator's memory (VmRSS, VmHWM).

Usage: ``python benchmarks/bench_operator.py [--clusters 50] [--workers 8]``; starts the test
environment's control plane unless ``KUBECONFIG`` points at one.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import yaml
from lightkube import ApiError, Client, KubeConfig
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.resources.apiextensions_v1 import CustomResourceDefinition
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.batch_v1 import Job
from lightkube.resources.core_v1 import ConfigMap, Namespace, Secret, Service
from lightkube.types import PatchType

from heroic_operator.reconcile.apply import HeroicClusterResource
from heroic_testenv.runner import ensure

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "operator" / "input"
MANAGER = "heroic-bench"
POLL = 0.05


def wait(check: Callable[[], bool], timeout: float = 120.0) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise TimeoutError("benchmark step timed out")
        time.sleep(POLL)
    return time.monotonic()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def load(name: str, metadata_name: str) -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load((DATA / f"{name}.yaml").read_text())
    body = copy.deepcopy(body)
    body["metadata"] = {"name": metadata_name}
    return body


class Bench:
    def __init__(self, client: Client, namespace: str, port: int) -> None:
        self.client = client
        self.namespace = namespace
        self.port = port

    def apply(self, body: dict[str, Any]) -> None:
        self.client.patch(
            HeroicClusterResource,
            body["metadata"]["name"],
            body,
            namespace=self.namespace,
            patch_type=PatchType.APPLY,
            field_manager=MANAGER,
            force=True,
        )

    def ready(self, name: str) -> bool:
        obj = self.client.get(HeroicClusterResource, name, namespace=self.namespace).to_dict()
        status = obj.get("status") or {}
        return status.get("observedGeneration") == obj["metadata"]["generation"] and any(
            c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or []
        )

    def all_ready(self, names: list[str]) -> bool:
        ready = 0
        for obj in self.client.list(HeroicClusterResource, namespace=self.namespace):
            conditions = (obj.to_dict().get("status") or {}).get("conditions") or []
            if obj.metadata.name in names and any(
                c["type"] == "Ready" and c["status"] == "True" for c in conditions
            ):
                ready += 1
        return ready == len(names)

    def count(self, resource: Any) -> int:
        labels: dict[str, Any] = {"app.kubernetes.io/managed-by": "heroic-operator"}
        return len(list(self.client.list(resource, namespace=self.namespace, labels=labels)))

    def children_created(self, deployments: int, services: int, config_maps: int) -> bool:
        return (
            self.count(Deployment) >= deployments
            and self.count(Service) >= services
            and self.count(ConfigMap) >= config_maps
        )

    def deployments_available(self, name: str) -> bool:
        labels: dict[str, Any] = {"app.kubernetes.io/instance": name}
        deployments = list(self.client.list(Deployment, namespace=self.namespace, labels=labels))
        return bool(deployments) and all(
            d.status is not None
            and d.spec is not None
            and (d.status.availableReplicas or 0) == d.spec.replicas
            and (d.status.updatedReplicas or 0) == d.spec.replicas
            for d in deployments
        )

    def jobs_complete(self, name: str, expected: int) -> bool:
        labels: dict[str, Any] = {"app.kubernetes.io/instance": name}
        jobs = list(self.client.list(Job, namespace=self.namespace, labels=labels))
        done = [
            j
            for j in jobs
            if any(c.type == "Complete" and c.status == "True" for c in (j.status.conditions or []))
        ]
        return len(done) >= expected

    def metric(self, name: str) -> float:
        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics").text
        return sum(
            float(m.group(1))
            for m in re.finditer(rf"^{name}\{{[^}}]*\}} ([0-9.e+]+)$", text, re.MULTILINE)
        )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    return fields


def setup(client: Client) -> str:
    crd = yaml.safe_load((ROOT / "crds" / "heroicclusters.heroic.dev.yaml").read_text())
    client.patch(
        CustomResourceDefinition,
        crd["metadata"]["name"],
        crd,
        patch_type=PatchType.APPLY,
        field_manager=MANAGER,
        force=True,
    )
    namespace = f"heroic-bench-{uuid.uuid4().hex[:6]}"
    client.create(Namespace(metadata=ObjectMeta(name=namespace)))
    client.create(
        Secret(metadata=ObjectMeta(name="cassandra-credentials"), stringData={"password": "pw"}),
        namespace=namespace,
    )
    return namespace


def single(bench: Bench) -> None:
    start = time.monotonic()
    bench.apply(load("memory", "one"))
    created = wait(lambda: bench.children_created(2, 1, 1))
    available = wait(lambda: bench.deployments_available("one"))
    ready = wait(lambda: bench.ready("one"))
    print(
        f"1 cluster (no Jobs):   children created {created - start:6.2f} s, "
        f"Ready {ready - start:6.2f} s, Ready after Deployments available "
        f"{max(0.0, ready - available):5.2f} s"
    )
    start = time.monotonic()
    bench.apply(load("cassandra", "jobs"))
    jobs = wait(lambda: bench.jobs_complete("jobs", 2))
    ready = wait(lambda: bench.ready("jobs"))
    print(
        f"1 cluster (2 Jobs):    Jobs complete    {jobs - start:6.2f} s, "
        f"Ready {ready - start:6.2f} s, Ready after Jobs complete {ready - jobs:5.2f} s"
    )


def many(bench: Bench, count: int, pid: int) -> list[str]:
    names = [f"c{i:03d}" for i in range(count)]
    base = bench.count(Deployment), bench.count(Service), bench.count(ConfigMap)
    reconciles = bench.metric("heroic_operator_reconciles_total")
    seconds = bench.metric("heroic_operator_reconcile_duration_seconds_sum")
    cpu = cpu_seconds(pid)
    start = time.monotonic()
    for name in names:
        bench.apply(load("memory", name))
    applied = time.monotonic()
    created = wait(
        lambda: bench.children_created(base[0] + 2 * count, base[1] + count, base[2] + count),
        timeout=300,
    )
    ready = wait(lambda: bench.all_ready(names), timeout=300)
    print(
        f"{count} clusters:          applied in {applied - start:6.2f} s, children created "
        f"{created - start:6.2f} s, all Ready {ready - start:6.2f} s"
    )
    runs = bench.metric("heroic_operator_reconciles_total") - reconciles
    spent = bench.metric("heroic_operator_reconcile_duration_seconds_sum") - seconds
    print(
        f"                       {int(runs)} reconciles ({runs / count:.1f} per cluster), "
        f"{1000 * spent / max(runs, 1):.0f} ms each on average, operator CPU "
        f"{cpu_seconds(pid) - cpu:.1f} s"
    )
    return names


def steady_writes(bench: Bench, names: list[str]) -> None:
    time.sleep(3)
    writes = bench.metric("heroic_operator_api_writes_total")
    reconciles = bench.metric("heroic_operator_reconciles_total")
    stamp = str(time.time())
    for name in names:
        bench.client.patch(
            HeroicClusterResource,
            name,
            {"metadata": {"annotations": {"bench/touch": stamp}}},
            namespace=bench.namespace,
            patch_type=PatchType.MERGE,
        )
    wait(lambda: bench.metric("heroic_operator_reconciles_total") >= reconciles + len(names))
    time.sleep(1)
    delta = bench.metric("heroic_operator_api_writes_total") - writes
    print(
        f"steady state:          {delta / len(names):.2f} API writes per reconcile "
        f"({int(delta)} writes over {len(names)} reconciles)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clusters", type=int, default=50)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    ensure(["kubernetes"])
    client = Client(KubeConfig.from_file(os.environ["KUBECONFIG"]), field_manager=MANAGER)
    namespace = setup(client)
    port = free_port()
    operator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "heroic_cli.main",
            "operator",
            "-n",
            namespace,
            "--kubeconfig",
            os.environ["KUBECONFIG"],
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "WARNING",
        ]
    )
    bench = Bench(client, namespace, port)
    try:
        wait(lambda: _answers(port), timeout=30)
        print(f"operator pid {operator.pid}, namespace {namespace}, workers {args.workers}")
        print(f"memory at start:       {memory(operator.pid)}")
        single(bench)
        names = many(bench, args.clusters, operator.pid)
        steady_writes(bench, names)
        print(f"memory at end:         {memory(operator.pid)}")
    finally:
        operator.terminate()
        operator.wait(30)
        client.delete(Namespace, namespace)
    return 0


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
    except httpx.HTTPError:
        return False
    except ApiError:
        return False


if __name__ == "__main__":
    sys.exit(main())
