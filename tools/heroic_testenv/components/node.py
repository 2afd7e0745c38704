"""A real node in the test environment's cluster: containerd v2 + runc + CNI, kubelet and
kube-proxy of the control plane's version, and CoreDNS as the cluster DNS.

It registers beside kwok's fake node, tainted, so that only namespaces that ask for it
(``heroic_testenv.node.layout.real_node_namespace_annotations``) run pods on it. Images reach it
by import, never by pull. Needs root on Linux (it makes a bridge, iptables rules and cgroups).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from heroic_testenv import procs, system
from heroic_testenv.components.base import http_json
from heroic_testenv.components.kubernetes import (
    SERVICE_CIDR,
    admin_tls,
    get_node,
    is_ready,
    node_ready,
)
from heroic_testenv.node import cleanup, configs, network
from heroic_testenv.node.containerd import Ctr
from heroic_testenv.node.layout import (
    HOST_IP,
    NODE_LABEL,
    NODE_LABEL_VALUE,
    NODE_NAME,
    POD_CIDR,
    Layout,
)
from heroic_testenv.procs import ComponentError, free_port, log_path, spawn, wait_until

#: Programs kube-proxy and the CNI plugins call by name.
SYSTEM_COMMANDS = {
    "iptables": "iptables",
    "iptables-save": "iptables",
    "ip6tables-save": "iptables",
    "conntrack": "conntrack",
}


class Node:
    """Exports TESTENV_NODE (its name), TESTENV_NODE_HOST_IP (where pods reach the backends),
    TESTENV_NODE_SELECTOR, CONTAINERD_ADDRESS and TESTENV_CTR (to import images)."""

    name = "node"
    artifacts = ("kubelet", "containerd", "cni-plugins", "coredns", "runc")
    processes = ("kubelet", "kube-proxy", "coredns", "containerd")
    requires = ("kubernetes",)

    def __init__(self, layout: Layout | None = None) -> None:
        self.layout = layout or Layout()

    def start(self, run: Path, artifacts: Mapping[str, Path]) -> dict[str, str]:
        if sys.platform != "linux" or os.geteuid() != 0:
            raise ComponentError(self.name, "a real node needs root on Linux")
        other = self._other_owner(run)
        if other is not None:
            raise ComponentError(self.name, f"another test environment's node runs ({other})")
        system.ensure_commands(self.name, SYSTEM_COMMANDS)
        kube = run / "kubernetes"
        kubeconfig, pki = kube / "admin.kubeconfig", kube / "pki"
        server = _apiserver(kubeconfig)
        self.stop(run)  # whatever an earlier run (or crash) left
        self.layout.volatile.mkdir(parents=True, exist_ok=True)
        self.layout.owner.write_text(str(run))
        # Imported here: building images is the node's business only when it starts.
        from heroic_testenv.images import ensure_image  # noqa: PLC0415

        pause = ensure_image("pause")
        ctr = Ctr(artifacts["containerd"] / "bin" / "ctr", self.layout.containerd_socket)
        self._write_configs(artifacts, pause.ref)
        try:
            network.setup(SERVICE_CIDR)
        except (RuntimeError, OSError) as exc:
            raise ComponentError(self.name, f"cannot set up the node's network: {exc}") from exc
        self._containerd(run, artifacts, ctr)
        ctr.import_image(pause.archive, pause.ref)
        self._kubernetes_endpoints(server, pki)
        self._coredns(run, artifacts, kubeconfig)
        # The kubelet first: kube-proxy waits (up to 30 s) for the Node object it registers.
        self._kubelet(run, artifacts, kubeconfig, pki, server)
        self._kube_proxy(run, artifacts, kubeconfig)
        return {
            "TESTENV_NODE": NODE_NAME,
            "TESTENV_NODE_HOST_IP": HOST_IP,
            "TESTENV_NODE_SELECTOR": f"{NODE_LABEL}={NODE_LABEL_VALUE}",
            "CONTAINERD_ADDRESS": str(self.layout.containerd_socket),
            "TESTENV_CTR": str(ctr.binary),
        }

    def healthy(self, env: Mapping[str, str]) -> bool:
        kubeconfig = Path(os.environ.get("KUBECONFIG") or env.get("KUBECONFIG", "/nonexistent"))
        with contextlib.suppress(Exception):
            return node_ready(kubeconfig.parent / "pki", _apiserver(kubeconfig), NODE_NAME)
        return False

    # -- stop ------------------------------------------------------------------------------

    def stop(self, run: Path) -> list[str]:
        """Stop the node and remove every container, mount, cgroup, network device and rule it
        made (also after a crash, when no process is left to ask). Returns what it stopped.
        Another checkout's running node is left alone (the node's state is machine-wide)."""
        if self._other_owner(run) is not None:
            return []
        stopped = [p for p in ("kubelet", "kube-proxy", "coredns") if procs.stop(run, p)]
        self._deregister(run)
        ctr = self._ctr_from_state(run)
        if ctr is not None and ctr.answers():
            ctr.remove_all_containers()
        if procs.stop(run, "containerd"):
            stopped.append("containerd")
        socket = self.layout.containerd_socket
        cleanup.kill_all([cleanup.pod_pids(), cleanup.shim_pids(socket)])
        self._kube_proxy_cleanup(run)
        cleanup.unmount_all([self.layout.volatile, self.layout.persistent])
        cleanup.remove_cgroups()
        network.teardown(SERVICE_CIDR)
        left = leftovers(self.layout)
        if left:
            raise ComponentError(self.name, f"left behind after stopping: {left}")
        shutil.rmtree(self.layout.volatile, ignore_errors=True)
        return stopped

    @staticmethod
    def _deregister(run: Path) -> None:
        """Delete the Node object while the apiserver still answers: the node is gone, and a
        stale one would carry the lifecycle controller's unreachable taints into the next start
        (and its pods, which the pod garbage collector now removes)."""
        kubeconfig = run / "kubernetes" / "admin.kubeconfig"
        with contextlib.suppress(Exception):
            context = admin_tls(kubeconfig.parent / "pki")
            url = f"{_apiserver(kubeconfig)}/api/v1/nodes/{NODE_NAME}"
            http_json(url, method="DELETE", context=context)

    def _ctr_from_state(self, run: Path) -> Ctr | None:
        marker = run / "node" / "ctr"
        if not marker.exists():
            return None
        return Ctr(Path(marker.read_text().strip()), self.layout.containerd_socket)

    def _kube_proxy_cleanup(self, run: Path) -> None:
        marker = run / "node" / "kube-proxy"
        if marker.exists():
            subprocess.run(
                [marker.read_text().strip(), "--cleanup"], capture_output=True, check=False
            )

    # -- start -----------------------------------------------------------------------------

    def _other_owner(self, run: Path) -> Path | None:
        """The run directory of another test environment whose node is running, if any."""
        owner = self.layout.owner
        if not owner.exists() or owner.read_text().strip() == str(run):
            return None
        other = Path(owner.read_text().strip())
        if procs.recorded_pid(other, "kubelet") or procs.recorded_pid(other, "containerd"):
            return other
        return None

    def _write_configs(self, artifacts: Mapping[str, Path], sandbox: str) -> None:
        layout = self.layout
        for directory in (layout.config, layout.cni_conf, layout.cni_data, layout.pod_logs):
            directory.mkdir(parents=True, exist_ok=True)
        binaries = configs.Binaries(
            runc=artifacts["runc"] / "root" / "usr" / "sbin" / "runc",
            cni_bin=artifacts["cni-plugins"] / "bin",
        )
        (layout.config / "containerd.toml").write_text(
            configs.containerd_config(layout, binaries, sandbox)
        )
        (layout.cni_conf / "10-heroic-testenv.conflist").write_text(configs.cni_conflist(layout))
        (layout.config / "resolv.conf").write_text("")

    def _containerd(self, run: Path, artifacts: Mapping[str, Path], ctr: Ctr) -> None:
        (run / "node").mkdir(parents=True, exist_ok=True)
        (run / "node" / "ctr").write_text(str(ctr.binary))
        bin_dir = artifacts["containerd"] / "bin"
        proc = spawn(
            run,
            "containerd",
            [
                str(bin_dir / "containerd"),
                "--config",
                str(self.layout.config / "containerd.toml"),
            ],
            # containerd finds its shim and runc's helpers on PATH.
            env={"PATH": f"{bin_dir}:{os.environ.get('PATH', '')}"},
        )
        wait_until(
            "containerd", ctr.answers, timeout=60, proc=proc, log=log_path(run, "containerd")
        )
        ctr.remove_all_containers()  # a crashed run's; the kubelet would only trip over them

    def _kubernetes_endpoints(self, server: str, pki: Path) -> None:
        """The ``kubernetes`` Service's endpoint, so that pods reach the apiserver at its
        ClusterIP. The apiserver runs with --endpoint-reconciler-type=none (its advertised
        address is loopback), so the node writes the slice that points at ``HOST_IP``."""
        port = int(server.rsplit(":", 1)[1])
        slice_ = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": {
                "name": "kubernetes",
                "namespace": "default",
                "labels": {
                    "kubernetes.io/service-name": "kubernetes",
                    "endpointslice.kubernetes.io/managed-by": "heroic-testenv",
                },
            },
            "addressType": "IPv4",
            "endpoints": [{"addresses": [HOST_IP], "conditions": {"ready": True}}],
            "ports": [{"name": "https", "port": port, "protocol": "TCP"}],
        }
        url = f"{server}/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes"
        http_json(
            f"{url}?fieldManager=heroic-testenv&force=true",
            method="PATCH",
            body=slice_,
            context=admin_tls(pki),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )

    def _coredns(self, run: Path, artifacts: Mapping[str, Path], kubeconfig: Path) -> None:
        health, ready = free_port(), free_port()
        corefile = self.layout.config / "Corefile"
        corefile.write_text(configs.corefile(kubeconfig, health, ready))
        proc = spawn(
            run,
            "coredns",
            [str(artifacts["coredns"] / "bin" / "coredns"), "-conf", str(corefile)],
        )
        wait_until(
            "coredns",
            lambda: _http_ok(f"http://127.0.0.1:{ready}/ready"),
            timeout=60,
            proc=proc,
            log=log_path(run, "coredns"),
        )

    def _kube_proxy(self, run: Path, artifacts: Mapping[str, Path], kubeconfig: Path) -> None:
        binary = artifacts["kubelet"] / "bin" / "kube-proxy"
        (run / "node" / "kube-proxy").write_text(str(binary))
        healthz = free_port()
        proc = spawn(
            run,
            "kube-proxy",
            [
                str(binary),
                f"--kubeconfig={kubeconfig}",
                f"--hostname-override={NODE_NAME}",
                f"--bind-address={HOST_IP}",
                "--nodeport-addresses=primary",  # NodePorts on the node's address, not eth0
                "--proxy-mode=iptables",
                f"--cluster-cidr={POD_CIDR}",
                f"--healthz-bind-address=127.0.0.1:{healthz}",
                f"--metrics-bind-address=127.0.0.1:{free_port()}",
                "--conntrack-max-per-core=0",  # leave the machine's conntrack table size alone
                "--v=1",
            ],
        )
        wait_until(
            "kube-proxy",
            lambda: procs.port_open(healthz),
            timeout=60,
            proc=proc,
            log=log_path(run, "kube-proxy"),
        )

    def _kubelet(
        self, run: Path, artifacts: Mapping[str, Path], kubeconfig: Path, pki: Path, server: str
    ) -> None:
        ports = configs.KubeletPorts(api=free_port(), healthz=free_port())
        config = self.layout.config / "kubelet.yaml"
        config.write_text(configs.kubelet_config(self.layout, ports, pki / "ca.crt"))
        proc = spawn(
            run,
            "kubelet",
            [
                str(artifacts["kubelet"] / "bin" / "kubelet"),
                f"--config={config}",
                f"--kubeconfig={kubeconfig}",
                f"--root-dir={self.layout.kubelet_root}",
                f"--cert-dir={self.layout.kubelet_root / 'pki'}",
                f"--hostname-override={NODE_NAME}",
                f"--node-ip={HOST_IP}",
                f"--node-labels={NODE_LABEL}={NODE_LABEL_VALUE}",
                "--v=1",
            ],
        )
        wait_until(
            "kubelet",
            lambda: _schedulable(get_node(pki, server, NODE_NAME)),
            timeout=120,
            proc=proc,
            log=log_path(run, "kubelet"),
            interval=1.0,
        )


def _apiserver(kubeconfig: Path) -> str:
    """The apiserver's URL in the test environment's admin kubeconfig."""
    config = yaml.safe_load(kubeconfig.read_text())
    return str(config["clusters"][0]["cluster"]["server"])


def _schedulable(node: dict[str, Any]) -> bool:
    """Ready, and free of the taints the node lifecycle controller puts on a node it lost
    (not-ready, unreachable): until they are gone, new pods are not scheduled there and running
    ones may be evicted."""
    taints = node.get("spec", {}).get("taints") or []
    return is_ready(node) and not any(t["key"].startswith("node.kubernetes.io/") for t in taints)


def leftovers(layout: Layout | None = None) -> list[str]:
    """What of a node is still on the machine: empty once the node is down (and cleaned).
    Only looks; changes nothing."""
    layout = layout or Layout()
    return [
        *(f"mount {point}" for point in cleanup.mounts_under([layout.volatile, layout.persistent])),
        *(f"container process {pid}" for pid in cleanup.pod_pids()),
        *(f"shim {pid}" for pid in cleanup.shim_pids(layout.containerd_socket)),
        *(f"cgroup {path}" for path in cleanup.pod_cgroups()),
        *(f"interface {name}" for name in network.bridge_ports()),
        *(["bridge heroic0"] if network.bridge_exists() else []),
        *network.leftover_rules(),
    ]


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our loopback URL
        return bool(response.status == 200)
