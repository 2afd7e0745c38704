"""A real Kubernetes control plane on loopback: etcd, kube-apiserver (RBAC, service-account
tokens), kube-controller-manager, kube-scheduler, and kwok making one fake node run pods.

kwok's stages make pods of Deployments Ready and pods of Jobs Succeeded, so controllers behave as
on a real cluster, while no container ever runs. The ``node`` component adds a real node beside
it; for that node the apiserver listens on every address (pods reach it through the
``kubernetes`` Service), presents the admin certificate to kubelets (logs, exec, port-forward),
and admits the namespace annotations that keep pods on one node or the other.
"""

from __future__ import annotations

import ssl
import subprocess
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from heroic_testenv.components.base import http_json
from heroic_testenv.components.certs import make_pki, write_kubeconfig
from heroic_testenv.procs import free_port, log_path, spawn, wait_until

NODE_NAME = "kwok-node-0"
SERVICE_CIDR = "10.0.0.0/20"  # 4,094 Services: the operator benchmark makes a thousand clusters
POD_CIDR = "10.244.0.0/16"


def admin_tls(pki: Path) -> ssl.SSLContext:
    """TLS as the test environment's admin (a client certificate in system:masters)."""
    context = ssl.create_default_context(cafile=str(pki / "ca.crt"))
    context.load_cert_chain(str(pki / "admin.crt"), str(pki / "admin.key"))
    return context


class Kubernetes:
    """The control plane plus kwok; exports KUBECONFIG."""

    name = "kubernetes"
    artifacts = ("kubernetes", "etcd", "kwok")
    processes = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")

    def start(self, run: Path, artifacts: Mapping[str, Path]) -> dict[str, str]:
        k8s_bin = artifacts["kubernetes"] / "bin"
        pki = run / "kubernetes" / "pki"
        make_pki(pki)
        etcd_port = self._etcd(run, artifacts["etcd"] / "bin" / "etcd")
        api_port = self._apiserver(run, k8s_bin / "kube-apiserver", pki, etcd_port)
        kubeconfig = run / "kubernetes" / "admin.kubeconfig"
        write_kubeconfig(kubeconfig, pki, f"https://127.0.0.1:{api_port}")
        self._controller_manager(run, k8s_bin / "kube-controller-manager", pki, kubeconfig)
        self._scheduler(run, k8s_bin / "kube-scheduler", kubeconfig)
        self._kwok(run, artifacts["kwok"], kubeconfig)
        self._fake_node(pki, api_port)
        return {"KUBECONFIG": str(kubeconfig), "TESTENV_APISERVER": f"https://127.0.0.1:{api_port}"}

    def healthy(self, env: Mapping[str, str]) -> bool:
        server = env.get("TESTENV_APISERVER", "")
        pki = Path(env.get("KUBECONFIG", "/nonexistent")).parent / "pki"
        try:
            return node_ready(pki, server, NODE_NAME)
        except Exception:  # noqa: BLE001 - anything but a Ready node means start again
            return False

    def _etcd(self, run: Path, binary: Path) -> int:
        port, peer = free_port(), free_port()
        data = run / "kubernetes" / "etcd-data"
        proc = spawn(
            run,
            "etcd",
            [
                str(binary),
                f"--data-dir={data}",
                "--name=testenv",
                f"--listen-client-urls=http://127.0.0.1:{port}",
                f"--advertise-client-urls=http://127.0.0.1:{port}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=testenv=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync=true",
                "--log-level=warn",
                "--quota-backend-bytes=4294967296",
            ],
        )
        url = f"http://127.0.0.1:{port}/health"
        wait_until(
            "etcd",
            lambda: http_json(url)["health"] == "true",
            timeout=60,
            proc=proc,
            log=log_path(run, "etcd"),
        )
        return port

    def _apiserver(self, run: Path, binary: Path, pki: Path, etcd_port: int) -> int:
        port = free_port()
        proc = spawn(
            run,
            "kube-apiserver",
            [
                str(binary),
                f"--etcd-servers=http://127.0.0.1:{etcd_port}",
                f"--secure-port={port}",
                # Every address, so that pods on the real node reach it through the bridge; it
                # serves TLS with client-certificate and token authentication only.
                "--bind-address=0.0.0.0",
                "--advertise-address=127.0.0.1",
                f"--kubelet-client-certificate={pki / 'admin.crt'}",
                f"--kubelet-client-key={pki / 'admin.key'}",
                "--kubelet-preferred-address-types=InternalIP",
                "--enable-admission-plugins=PodNodeSelector,PodTolerationRestriction",
                f"--cert-dir={pki}",
                f"--tls-cert-file={pki / 'apiserver.crt'}",
                f"--tls-private-key-file={pki / 'apiserver.key'}",
                f"--client-ca-file={pki / 'ca.crt'}",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--authorization-mode=RBAC",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={pki / 'sa.pub'}",
                f"--service-account-signing-key-file={pki / 'sa.key'}",
                "--endpoint-reconciler-type=none",
                "--allow-privileged=true",
                "--profiling=false",
                "--enable-priority-and-fairness=false",
                "--watch-cache=true",
                "--v=1",
            ],
        )
        context = admin_tls(pki)

        def ready() -> bool:
            url = f"https://127.0.0.1:{port}/readyz"
            with urllib.request.urlopen(url, timeout=5, context=context) as response:
                return bool(response.status == 200)

        wait_until(
            "kube-apiserver", ready, timeout=120, proc=proc, log=log_path(run, "kube-apiserver")
        )
        return port

    def _controller_manager(self, run: Path, binary: Path, pki: Path, kubeconfig: Path) -> None:
        port = free_port()
        proc = spawn(
            run,
            "kube-controller-manager",
            [
                str(binary),
                f"--kubeconfig={kubeconfig}",
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={port}",
                f"--service-account-private-key-file={pki / 'sa.key'}",
                f"--root-ca-file={pki / 'ca.crt'}",
                "--use-service-account-credentials=true",
                f"--service-cluster-ip-range={SERVICE_CIDR}",
                "--controllers=*,-nodeipam",
                "--concurrent-deployment-syncs=10",
                "--concurrent-replicaset-syncs=10",
                "--concurrent-job-syncs=10",
                "--concurrent-gc-syncs=20",
                # The defaults (20 requests/s, bursts of 30) make the controllers, not the
                # operator, what 100 new clusters wait for: ~1,500 writes for their Deployments,
                # ReplicaSets and pods. Managed control planes allow far more.
                "--kube-api-qps=200",
                "--kube-api-burst=400",
                "--v=1",
            ],
        )
        self._wait_healthz(run, "kube-controller-manager", port, proc)

    def _scheduler(self, run: Path, binary: Path, kubeconfig: Path) -> None:
        port = free_port()
        proc = spawn(
            run,
            "kube-scheduler",
            [
                str(binary),
                f"--kubeconfig={kubeconfig}",
                f"--authentication-kubeconfig={kubeconfig}",
                f"--authorization-kubeconfig={kubeconfig}",
                "--leader-elect=false",
                "--bind-address=127.0.0.1",
                f"--secure-port={port}",
                "--kube-api-qps=200",
                "--kube-api-burst=400",
                "--v=1",
            ],
        )
        self._wait_healthz(run, "kube-scheduler", port, proc)

    @staticmethod
    def _wait_healthz(run: Path, name: str, port: int, proc: subprocess.Popen[bytes]) -> None:
        insecure = ssl._create_unverified_context()  # noqa: S323 - self-signed loopback health port

        def ready() -> bool:
            url = f"https://127.0.0.1:{port}/healthz"
            with urllib.request.urlopen(url, timeout=5, context=insecure) as response:
                return bool(response.status == 200)

        wait_until(name, ready, timeout=90, proc=proc, log=log_path(run, name))

    def _kwok(self, run: Path, kwok: Path, kubeconfig: Path) -> None:
        spawn(
            run,
            "kwok",
            [
                str(kwok / "bin" / "kwok"),
                f"--kubeconfig={kubeconfig}",
                "--manage-all-nodes=false",
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                "--node-lease-duration-seconds=40",
                f"--cidr={POD_CIDR}",
                "--node-ip=10.244.0.1",
                f"--server-address=127.0.0.1:{free_port()}",
                "-c",
                str(kwok / "stages.yaml"),
            ],
        )

    def _fake_node(self, pki: Path, api_port: int) -> None:
        server = f"https://127.0.0.1:{api_port}"
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": NODE_NAME,
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {
                    "kubernetes.io/hostname": NODE_NAME,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "type": "kwok",
                },
            },
        }
        context = admin_tls(pki)
        try:
            http_json(f"{server}/api/v1/nodes", method="POST", body=node, context=context)
        except Exception as exc:
            if "409" not in str(exc):
                raise
        wait_until("kwok", lambda: node_ready(pki, server, NODE_NAME), timeout=90, interval=1.0)


def get_node(pki: Path, server: str, name: str) -> dict[str, Any]:
    """Node ``name`` as the apiserver has it (raises if it is not registered)."""
    node: dict[str, Any] = http_json(f"{server}/api/v1/nodes/{name}", context=admin_tls(pki))
    return node


def is_ready(node: dict[str, Any]) -> bool:
    conditions = node.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def node_ready(pki: Path, server: str, name: str) -> bool:
    """True if node ``name`` is registered and Ready."""
    return is_ready(get_node(pki, server, name))
