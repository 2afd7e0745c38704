"""What the operator's writes cost the control plane, per kind (prints figures; asserts nothing).

For ``--clusters`` HeroicClusters of ``tests/data/operator/input/memory.yaml`` it builds the
children the operator would apply (with the operator's own builders) and applies them kind by
kind, the way the operator does (server-side apply, its field manager, 16 requests in flight),
each kind after the control plane has gone quiet. For each kind it prints the CPU the API server,
etcd and the controllers spent per object while the applies ran, and in the seconds after (the
controllers' reactions: a Deployment's ReplicaSet and pods, scheduling, kwok's pod status). The
Deployments are applied twice: paused (their own cost; no ReplicaSet) and not paused (with
everything a new Deployment sets off). The HeroicClusters and one status write each are applied
too (no operator watches the namespace). The children carry no ownerReferences (their owners'
uids are made up, and the garbage collector would delete them).

Usage: ``python benchmarks/bench_operator_apiserver.py [--clusters 100] [--settle 5]``; starts
the test environment's control plane unless ``KUBECONFIG`` points at one (the figures are only
the control plane's when it runs on this machine); the namespace is deleted at the end. Other
work on the machine is counted too when it uses the same control plane; the quiet wait before
each kind keeps the previous kind's aftermath out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
import yaml

from heroic_operator import naming
from heroic_operator.desired.builders import BuildContext, build_all
from heroic_operator.desired.components import render_cluster
from heroic_operator.kube import Kube, connect
from heroic_operator.kube.client import CONCURRENT_REQUESTS
from heroic_operator.spec import parse_cluster
from heroic_testenv.runner import ensure

ROOT = Path(__file__).resolve().parents[1]
MANIFEST = ROOT / "tests" / "data" / "operator" / "input" / "memory.yaml"
#: /proc/PID/comm of the control plane's processes (cut at 15 characters).
PLANE = ("kube-apiserver", "etcd", "kube-controller", "kube-scheduler", "kwok")
#: A control plane using less than this share of one core is quiet.
QUIET_CORES = 0.06


def plane_cpu() -> dict[str, float]:
    """CPU seconds used so far by each control-plane process on this machine."""
    used = dict.fromkeys(PLANE, 0.0)
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            name = (proc / "comm").read_text().strip()
            if name in used:
                fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                used[name] += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            continue  # gone meanwhile
    return used


async def quiet(timeout: float = 120.0) -> None:
    """Wait until the control plane is nearly idle (the previous kind's aftermath is over)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = plane_cpu()
        await asyncio.sleep(1.0)
        if sum(plane_cpu().values()) - sum(before.values()) < QUIET_CORES:
            return
    print("  (the control plane did not go quiet; figures include other work)")


def cluster_manifest(namespace: str, name: str) -> dict[str, Any]:
    body: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())
    body["metadata"] = {"name": name, "namespace": namespace}
    return body


def children(namespace: str, name: str) -> list[dict[str, Any]]:
    """The children the operator applies for one cluster whose configure Jobs are done."""
    body = cluster_manifest(namespace, name)
    body["metadata"].update(uid=str(uuid.uuid4()), generation=1)
    cluster = parse_cluster(body)
    components = list(render_cluster(cluster).components)
    data = {naming.config_key(c.name): c.rendered.text for c in components}
    deployable = frozenset(c.name for c in components)
    objects = build_all(BuildContext(cluster, components, data, deployable, {}))
    for obj in objects:
        obj["metadata"].pop("ownerReferences", None)
    return objects


def paused(obj: Mapping[str, Any], suffix: str) -> dict[str, Any]:
    """A copy of a Deployment, renamed, whose rollout is paused (no ReplicaSet is made)."""
    copy: dict[str, Any] = orjson.loads(orjson.dumps(obj))
    copy["metadata"]["name"] += suffix
    copy["spec"]["paused"] = True
    return copy


def status_body(namespace: str, name: str) -> dict[str, Any]:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    condition = {
        "type": "Ready",
        "status": "False",
        "reason": "Progressing",
        "message": "Deployments are rolling out",
        "lastTransitionTime": now,
        "observedGeneration": 1,
    }
    return {
        "apiVersion": naming.API_VERSION,
        "kind": naming.KIND,
        "metadata": {"name": name, "namespace": namespace},
        "status": {"observedGeneration": 1, "conditions": [condition]},
    }


async def apply_all(kube: Kube, objects: list[dict[str, Any]], subresource: str = "") -> float:
    """Apply ``objects`` with at most the operator's number of requests in flight; seconds."""
    turns = asyncio.Semaphore(CONCURRENT_REQUESTS)

    async def one(obj: dict[str, Any]) -> None:
        async with turns:
            await kube.apply(obj, subresource=subresource)

    start = time.monotonic()
    await asyncio.gather(*(one(obj) for obj in objects))
    return time.monotonic() - start


def per_object(before: dict[str, float], after: dict[str, float], count: int) -> str:
    spent = {k: 1000 * (after[k] - before[k]) / count for k in PLANE}
    others = spent["kube-scheduler"] + spent["kwok"]
    return (
        f"API server {spent['kube-apiserver']:5.1f}, etcd {spent['etcd']:4.1f}, controllers "
        f"{spent['kube-controller']:4.1f}, scheduler+kwok {others:4.1f}"
    )


async def measure(
    kube: Kube, label: str, objects: list[dict[str, Any]], settle: float, subresource: str = ""
) -> None:
    await quiet()
    before = plane_cpu()
    wall = await apply_all(kube, objects, subresource)
    during = plane_cpu()
    await asyncio.sleep(settle)
    after = plane_cpu()
    count = len(objects)
    print(f"{label:28s} x{count:<4d} in {wall:4.1f} s")
    print(f"  ms per object while applied: {per_object(before, during, count)}")
    print(f"  ms per object {settle:.0f} s after:      {per_object(during, after, count)}")


async def run(clusters: int, settle: float) -> None:
    kube = await connect(os.environ["KUBECONFIG"])
    namespace = f"heroic-bench-cost-{uuid.uuid4().hex[:6]}"
    await kube.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    try:
        names = [f"c{i:03d}" for i in range(clusters)]
        objects = [obj for name in names for obj in children(namespace, name)]
        print(f"{clusters} clusters' children in namespace {namespace}")
        for kind in ("ServiceAccount", "ConfigMap", "Service", "PodDisruptionBudget"):
            await measure(kube, kind, [o for o in objects if o["kind"] == kind], settle)
        deployments = [o for o in objects if o["kind"] == "Deployment"]
        await measure(kube, "Deployment (paused)", [paused(d, "-p") for d in deployments], settle)
        await measure(kube, "Deployment", deployments, settle)
        manifests = [cluster_manifest(namespace, name) for name in names]
        await measure(kube, "HeroicCluster", manifests, settle)
        statuses = [status_body(namespace, name) for name in names]
        await measure(kube, "HeroicCluster status", statuses, settle, subresource="status")
    finally:
        await kube.delete("Namespace", namespace)
        await kube.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument(
        "--settle", type=float, default=5.0, help="seconds to count after each kind's applies"
    )
    args = parser.parse_args()
    ensure(["kubernetes"])
    asyncio.run(run(args.clusters, args.settle))
    return 0


if __name__ == "__main__":
    sys.exit(main())
