"""Operator benchmark against the local control plane (prints figures; asserts nothing).

Runs ``heroic operator`` as a subprocess watching a fresh namespace and measures:
- 1 cluster without configure Jobs: apply → all children created → Ready;
- 1 cluster with configure Jobs (Cassandra + Elasticsearch): apply → Jobs complete → Ready,
  and the delay from the last Job's completion to Ready;
- 100 clusters applied at once (8 threads): → all children created → all Ready, with the
  reconciles per cluster and the operator's CPU per cluster; when the Deployments became
  available is printed too (that part is the control plane's controllers and kwok, not ours);
- API writes per steady-state reconcile (each cluster re-reconciled via an annotation touch);
- the operator's memory (VmRSS, VmHWM), and with ``--scale-clusters 1000`` after that many more.

Usage: ``python benchmarks/bench_operator.py [--clusters 100] [--workers 8]
[--scale-clusters 1000]``; starts the test environment's control plane unless ``KUBECONFIG``
points at one. Goals (issue 14): children within 3 s, Ready within 15 s, at most 3 reconciles
and 20 ms of operator CPU per cluster, 0 writes per steady-state reconcile, RSS at most 150 MiB
with 1,000 clusters.
"""

from __future__ import annotations

import argparse
import copy
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml
from kubernetes import client as kube_client
from kubernetes import config as kube_config
from kubernetes import watch as kube_watch
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic import DynamicClient

from heroic_operator import naming
from heroic_testenv.runner import ensure

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "operator" / "input"
MANAGER = "heroic-bench"
POLL = 0.05
APPLY_THREADS = 8
MERGE_PATCH = "application/merge-patch+json"
# (apiVersion, kind) of what the benchmark reads and writes.
CLUSTER = (naming.API_VERSION, naming.KIND)
CRD = ("apiextensions.k8s.io/v1", "CustomResourceDefinition")
NAMESPACE = ("v1", "Namespace")
SECRET = ("v1", "Secret")
CONFIG_MAP = ("v1", "ConfigMap")
SERVICE = ("v1", "Service")
DEPLOYMENT = ("apps/v1", "Deployment")
JOB = ("batch/v1", "Job")


def api(client: DynamicClient, kind: tuple[str, str]) -> Any:
    """The API resource of an (apiVersion, kind), found by discovery."""
    return client.resources.get(api_version=kind[0], kind=kind[1])


def selector(labels: dict[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in labels.items())


def wait(check: Callable[[], bool], timeout: float = 120.0, poll: float = POLL) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise TimeoutError("benchmark step timed out")
        time.sleep(poll)
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
    def __init__(
        self, client: DynamicClient, namespace: str, port: int, observer: Observer
    ) -> None:
        self.client = client
        self.namespace = namespace
        self.port = port
        self.observer = observer

    def apply(self, body: dict[str, Any]) -> None:
        api(self.client, CLUSTER).server_side_apply(
            body=body,
            name=body["metadata"]["name"],
            namespace=self.namespace,
            field_manager=MANAGER,
            force_conflicts=True,
        )

    def ready(self, name: str) -> bool:
        obj = api(self.client, CLUSTER).get(name=name, namespace=self.namespace).to_dict()
        status = obj.get("status") or {}
        return status.get("observedGeneration") == obj["metadata"]["generation"] and any(
            c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or []
        )

    def deployments_available(self, name: str) -> bool:
        labels = {"app.kubernetes.io/instance": name}
        deployments = (
            api(self.client, DEPLOYMENT)
            .get(namespace=self.namespace, label_selector=selector(labels))
            .items
        )
        return bool(deployments) and all(
            d.status is not None
            and d.spec is not None
            and (d.status.availableReplicas or 0) == d.spec.replicas
            and (d.status.updatedReplicas or 0) == d.spec.replicas
            for d in deployments
        )

    def jobs_complete(self, name: str, expected: int) -> bool:
        labels = {"app.kubernetes.io/instance": name}
        jobs = (
            api(self.client, JOB)
            .get(namespace=self.namespace, label_selector=selector(labels))
            .items
        )
        done = [
            j
            for j in jobs
            if any(c.type == "Complete" and c.status == "True" for c in (j.status.conditions or []))
        ]
        return len(done) >= expected

    def metric_series(self, name: str) -> dict[str, float]:
        """Each series of a metric by its labels, as the exposition writes them."""
        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics").text
        return {
            m.group(1): float(m.group(2))
            for m in re.finditer(rf"^{name}\{{([^}}]*)\}} ([0-9.e+]+)$", text, re.MULTILINE)
        }

    def metric(self, name: str) -> float:
        text = httpx.get(f"http://127.0.0.1:{self.port}/metrics").text
        return sum(
            float(m.group(1))
            for m in re.finditer(rf"^{name}\{{[^}}]*\}} ([0-9.e+]+)$", text, re.MULTILINE)
        )


class Observer:
    """What the namespace holds of a few kinds, kept by one watch per kind in a thread. The
    100-cluster figures are read from here, not by listing: lists of hundreds of objects
    several times a second are work for the API server being measured (and for this process,
    on the same cores), while a watch costs it one encoding per change, shared with the
    operator's watches of the same objects."""

    def __init__(self, api_client: kube_client.ApiClient, namespace: str) -> None:
        core = kube_client.CoreV1Api(api_client)
        apps = kube_client.AppsV1Api(api_client)
        custom = kube_client.CustomObjectsApi(api_client)
        self._lists: dict[tuple[str, str], Callable[..., Any]] = {
            CONFIG_MAP: lambda **kw: core.list_namespaced_config_map(namespace, **kw),
            SERVICE: lambda **kw: core.list_namespaced_service(namespace, **kw),
            DEPLOYMENT: lambda **kw: apps.list_namespaced_deployment(namespace, **kw),
            CLUSTER: lambda **kw: custom.list_namespaced_custom_object(
                naming.GROUP, naming.VERSION, namespace, naming.PLURAL, **kw
            ),
        }
        self._lock = threading.Lock()
        self._objects: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
            kind: {} for kind in self._lists
        }
        self._watches = [kube_watch.Watch() for _ in self._lists]  # type: ignore[no-untyped-call]
        self._failed = ""
        self._stopped = threading.Event()

    def start(self) -> None:
        for kind, watch in zip(self._lists, self._watches, strict=True):
            threading.Thread(target=self._run, args=(kind, watch), daemon=True).start()

    def stop(self) -> None:
        self._stopped.set()
        for watch in self._watches:
            watch.stop()  # type: ignore[no-untyped-call]

    def _run(self, kind: tuple[str, str], watch: kube_watch.Watch) -> None:
        # A watch from no resourceVersion starts with an ADDED event per existing object. The
        # stream ends when the server ends the watch (undecoded events leave it no version to
        # resume from): then it is made again, and its ADDED events overwrite.
        try:
            while not self._stopped.is_set():
                for event in watch.stream(self._lists[kind], deserialize=False):  # type: ignore[no-untyped-call]
                    obj = event["object"]
                    name = obj["metadata"]["name"]
                    with self._lock:
                        if event["type"] == "DELETED":
                            self._objects[kind].pop(name, None)
                        else:
                            self._objects[kind][name] = obj
        except Exception as exc:  # noqa: BLE001 - reported by the next read, in the main thread
            self._failed = f"the watch of {kind[1]} failed: {exc}"

    def objects(self, kind: tuple[str, str]) -> list[dict[str, Any]]:
        with self._lock:
            self._check()
            return list(self._objects[kind].values())

    def count(self, kind: tuple[str, str]) -> int:
        with self._lock:
            self._check()
            return len(self._objects[kind])

    def _check(self) -> None:
        if self._failed:
            raise RuntimeError(self._failed)

    def children_created(self, deployments: int, services: int, config_maps: int) -> bool:
        return (
            self.count(DEPLOYMENT) >= deployments
            and self.count(SERVICE) >= services
            and self.count(CONFIG_MAP) >= config_maps
        )

    def all_available(self, names: list[str]) -> bool:
        """Every Deployment of every cluster in ``names`` is available."""
        wanted = set(names)
        seen: set[str] = set()
        for d in self.objects(DEPLOYMENT):
            instance = (d["metadata"].get("labels") or {}).get("app.kubernetes.io/instance")
            if instance not in wanted:
                continue
            seen.add(instance)
            replicas = d["spec"].get("replicas")
            status = d.get("status") or {}
            if status.get("availableReplicas", 0) != replicas:
                return False
            if status.get("updatedReplicas", 0) != replicas:
                return False
        return seen == wanted

    def all_ready(self, names: list[str]) -> bool:
        wanted = set(names)
        ready = 0
        for obj in self.objects(CLUSTER):
            conditions = (obj.get("status") or {}).get("conditions") or []
            if obj["metadata"]["name"] in wanted and any(
                c["type"] == "Ready" and c["status"] == "True" for c in conditions
            ):
                ready += 1
        return ready == len(wanted)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


#: The control plane's processes when they run on this machine (names as /proc/PID/comm
#: has them, cut at 15 characters).
CONTROL_PLANE = ("kube-apiserver", "etcd", "kube-controller", "kube-scheduler", "kwok")


def control_plane_cpu() -> dict[str, float]:
    """CPU seconds used so far by each local control-plane process (none: a remote cluster)."""
    used: dict[str, float] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            name = (proc / "comm").read_text().strip()
            if name in CONTROL_PLANE:
                used[name] = used.get(name, 0.0) + cpu_seconds(int(proc.name))
        except OSError:
            continue  # gone meanwhile
    return used


def memory(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            key, value = line.split(":", 1)
            fields[key] = value.strip()
    return fields


def setup(client: DynamicClient) -> str:
    crd = yaml.safe_load((ROOT / "crds" / "heroicclusters.heroic.dev.yaml").read_text())
    api(client, CRD).server_side_apply(
        body=crd, name=crd["metadata"]["name"], field_manager=MANAGER, force_conflicts=True
    )
    namespace = f"heroic-bench-{uuid.uuid4().hex[:6]}"
    api(client, NAMESPACE).create(
        body={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}},
        field_manager=MANAGER,
    )
    api(client, SECRET).create(
        body={
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "cassandra-credentials"},
            "stringData": {"password": "pw"},
        },
        namespace=namespace,
        field_manager=MANAGER,
    )
    return namespace


def single(bench: Bench) -> None:
    start = time.monotonic()
    bench.apply(load("memory", "one"))
    created = wait(lambda: bench.observer.children_created(2, 1, 1))
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
    seen = bench.observer
    base = seen.count(DEPLOYMENT), seen.count(SERVICE), seen.count(CONFIG_MAP)
    reconciles = bench.metric("heroic_operator_reconciles_total")
    seconds = bench.metric("heroic_operator_reconcile_duration_seconds_sum")
    writes = bench.metric("heroic_operator_api_writes_total")
    plane = control_plane_cpu()
    cpu = cpu_seconds(pid)
    own = own_cpu_seconds()
    start = time.monotonic()
    with ThreadPoolExecutor(APPLY_THREADS) as pool:  # "at once", as kubectl apply -f dir/ would
        list(pool.map(lambda name: bench.apply(load("memory", name)), names))
    applied = time.monotonic()
    created = wait(
        lambda: seen.children_created(base[0] + 2 * count, base[1] + count, base[2] + count),
        timeout=300,
    )
    plane_created = control_plane_cpu()
    operator_created = cpu_seconds(pid) - cpu
    own_created = own_cpu_seconds() - own
    available = wait(lambda: seen.all_available(names), timeout=600)
    ready = wait(lambda: seen.all_ready(names), timeout=300)
    used = cpu_seconds(pid) - cpu  # before the scrapes below: rendering /metrics is CPU too
    plane_ready = control_plane_cpu()
    own_ready = own_cpu_seconds() - own
    runs = bench.metric("heroic_operator_reconciles_total") - reconciles
    spent = bench.metric("heroic_operator_reconcile_duration_seconds_sum") - seconds
    written = bench.metric("heroic_operator_api_writes_total") - writes
    print(
        f"{count} clusters:          applied in {applied - start:6.2f} s, children created "
        f"{created - start:6.2f} s, all Ready {ready - start:6.2f} s (Deployments available "
        f"{available - start:6.2f} s: the control plane's controllers and kwok)"
    )
    print(
        f"                       {int(runs)} reconciles ({runs / count:.1f} per cluster), "
        f"{1000 * spent / max(runs, 1):.0f} ms each on average, operator CPU "
        f"{used:.1f} s ({1000 * used / count:.0f} ms per cluster), {written / count:.1f} API "
        "writes per cluster"
    )
    if plane:
        # What bounds the wall times on a machine the control plane shares: the CPU it, the
        # operator and this benchmark spent until then, against the cores there are.
        print(
            "                       until children created: "
            + cpu_split(plane, plane_created, operator_created, own_created)
        )
        print(
            "                       until all Ready: "
            + cpu_split(plane, plane_ready, used, own_ready)
        )
    return names


def own_cpu_seconds() -> float:
    """User + system CPU time of this process (all its threads) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_split(
    before: dict[str, float], after: dict[str, float], operator: float, benchmark: float
) -> str:
    """CPU seconds per control-plane process between two readings, the operator's, this
    benchmark's, and their sum against the machine's cores."""
    spent_by = {k: after.get(k, 0.0) - v for k, v in before.items()}
    total = sum(spent_by.values()) + operator + benchmark
    return (
        ", ".join(f"{k} {v:.1f} s" for k, v in sorted(spent_by.items()))
        + f", operator {operator:.1f} s, benchmark {benchmark:.1f} s of CPU: {total:.1f} "
        f"CPU-seconds, {total / (os.cpu_count() or 1):.1f} s of all {os.cpu_count()} cores"
    )


def scale(bench: Bench, count: int, pid: int) -> None:
    """The operator's memory with ``count`` more clusters (API replicas 0, no consumers: the
    figure is the operator's, and the fake nodes need not run thousands of pods)."""
    names = [f"s{i:04d}" for i in range(count)]

    def body(name: str) -> dict[str, Any]:
        manifest = load("memory", name)
        manifest["spec"]["api"]["replicas"] = 0
        manifest["spec"]["consumers"] = []
        return manifest

    start = time.monotonic()
    with ThreadPoolExecutor(APPLY_THREADS) as pool:
        list(pool.map(lambda name: bench.apply(body(name)), names))
    wait(lambda: bench.observer.all_ready(names), timeout=1800, poll=1.0)
    print(
        f"{count} more clusters:    all Ready {time.monotonic() - start:6.1f} s, operator "
        f"memory {memory(pid)}"
    )


def steady_writes(bench: Bench, names: list[str]) -> None:
    time.sleep(3)
    by_kind = bench.metric_series("heroic_operator_api_writes_total")
    writes = bench.metric("heroic_operator_api_writes_total")
    reconciles = bench.metric("heroic_operator_reconciles_total")
    stamp = str(time.time())
    for name in names:
        api(bench.client, CLUSTER).patch(
            body={"metadata": {"annotations": {"bench/touch": stamp}}},
            name=name,
            namespace=bench.namespace,
            content_type=MERGE_PATCH,
            field_manager=MANAGER,
        )
    wait(lambda: bench.metric("heroic_operator_reconciles_total") >= reconciles + len(names))
    time.sleep(1)
    delta = bench.metric("heroic_operator_api_writes_total") - writes
    print(
        f"steady state:          {delta / len(names):.2f} API writes per reconcile "
        f"({int(delta)} writes over {len(names)} reconciles)"
    )
    if delta:
        after = bench.metric_series("heroic_operator_api_writes_total")
        print(
            "                       "
            + ", ".join(
                f"{labels}: {after[labels] - by_kind.get(labels, 0):.0f}"
                for labels in sorted(after)
                if after[labels] > by_kind.get(labels, 0)
            )
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument(
        "--scale-clusters",
        type=int,
        default=0,
        help="then add this many clusters and report the operator's memory (the goal names 1000)",
    )
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument(
        "--profile",
        metavar="PATH",
        help="run the operator under cProfile and write its profile here when it stops",
    )
    args = parser.parse_args()
    ensure(["kubernetes"])
    api_client = kube_config.new_client_from_config(config_file=os.environ["KUBECONFIG"])
    client = DynamicClient(api_client)
    namespace = setup(client)
    observer = Observer(api_client, namespace)
    observer.start()
    port = free_port()
    profiler = ["-m", "cProfile", "-o", args.profile] if args.profile else []
    operator = subprocess.Popen(
        [
            sys.executable,
            *profiler,
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
    bench = Bench(client, namespace, port, observer)
    try:
        wait(lambda: _answers(port), timeout=30)
        print(f"operator pid {operator.pid}, namespace {namespace}, workers {args.workers}")
        print(f"memory at start:       {memory(operator.pid)}")
        single(bench)
        names = many(bench, args.clusters, operator.pid)
        steady_writes(bench, names)
        if args.scale_clusters:
            scale(bench, args.scale_clusters, operator.pid)
        print(f"memory at end:         {memory(operator.pid)}")
    finally:
        operator.terminate()
        operator.wait(30)
        observer.stop()
        api(client, NAMESPACE).delete(name=namespace)
    return 0


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
    except httpx.HTTPError:
        return False
    except ApiException:
        return False


if __name__ == "__main__":
    sys.exit(main())
