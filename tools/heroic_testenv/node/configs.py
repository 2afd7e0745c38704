"""The node's configuration files, rendered from the layout and the ports chosen at start.

Pure functions: each returns the file's text, so that unit tests can read what the node runs with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import tomli_w
import yaml

from heroic_testenv.node.layout import (
    BRIDGE,
    CLUSTER_DOMAIN,
    HOST_IP,
    NODE_LABEL,
    NODE_LABEL_VALUE,
    POD_CIDR,
    Layout,
)


@dataclass(frozen=True)
class Binaries:
    """Where the node's programs are."""

    runc: Path
    cni_bin: Path


def containerd_config(layout: Layout, binaries: Binaries, sandbox_image: str) -> str:
    """containerd v2 (config version 3) with the CRI plugin on runc and our CNI network."""
    runtime = {
        # This machine refuses to lower oom_score_adj; without this runc fails to start any
        # container ("can't get final child's PID from pipe").
        "restrict_oom_score_adj": True,
        # Pod network namespaces live in our state directory, so cleanup finds exactly ours.
        "netns_mounts_under_state_dir": True,
        "containerd": {
            "default_runtime_name": "runc",
            "runtimes": {
                "runc": {
                    "runtime_type": "io.containerd.runc.v2",
                    "options": {"BinaryName": str(binaries.runc), "SystemdCgroup": False},
                }
            },
        },
        "cni": {"bin_dirs": [str(binaries.cni_bin)], "conf_dir": str(layout.cni_conf)},
    }
    images = {
        "snapshotter": "overlayfs",
        # No registry is reachable: the sandbox ("pause") image is one we built and imported.
        "pinned_images": {"sandbox": sandbox_image},
    }
    server = {"disable_tcp_service": True, "stream_server_address": "127.0.0.1"}
    config = {
        "version": 3,
        "root": str(layout.containerd_root),
        "state": str(layout.containerd_state),
        "grpc": {"address": str(layout.containerd_socket)},
        "plugins": {
            "io.containerd.cri.v1.runtime": runtime,
            "io.containerd.cri.v1.images": images,
            "io.containerd.grpc.v1.cri": server,
        },
    }
    return tomli_w.dumps(config)


def cni_conflist(layout: Layout) -> str:
    """One bridge network: the host is the gateway, pods get addresses from ``POD_CIDR``.

    No masquerading: pods talk to the host and to each other only, never beyond the machine.
    Hairpin mode lets a pod reach itself through its own Service.
    """
    config = {
        "cniVersion": "1.0.0",
        "name": "heroic-testenv",
        "plugins": [
            {
                "type": "bridge",
                "bridge": BRIDGE,
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "dataDir": str(layout.cni_data),
                    "ranges": [[{"subnet": POD_CIDR, "gateway": HOST_IP}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    return json.dumps(config, indent=2)


@dataclass(frozen=True)
class KubeletPorts:
    """The kubelet's API port (on ``HOST_IP``, for logs/exec from the apiserver) and its
    loopback health port."""

    api: int
    healthz: int


def kubelet_config(layout: Layout, ports: KubeletPorts, client_ca: Path) -> str:
    """KubeletConfiguration for cgroups v1 with the cgroupfs driver, our containerd and DNS."""
    config = {
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        "address": HOST_IP,
        "port": ports.api,
        "readOnlyPort": 0,
        "healthzBindAddress": "127.0.0.1",
        "healthzPort": ports.healthz,
        # The apiserver presents a client certificate of our CA for logs, exec and port-forward.
        "authentication": {
            "anonymous": {"enabled": False},
            "webhook": {"enabled": False},
            "x509": {"clientCAFile": str(client_ca)},
        },
        "authorization": {"mode": "AlwaysAllow"},
        # Our machines run cgroups v1, which kubelet 1.35+ refuses unless told otherwise.
        "failCgroupV1": False,
        "cgroupDriver": "cgroupfs",
        "failSwapOn": False,
        "containerRuntimeEndpoint": f"unix://{layout.containerd_socket}",
        "clusterDNS": [HOST_IP],
        "clusterDomain": CLUSTER_DOMAIN,
        # Pods with dnsPolicy Default get no name servers of the machine's: there is no world
        # outside to resolve.
        "resolvConf": str(layout.config / "resolv.conf"),
        "podLogsDir": str(layout.pod_logs),
        "enforceNodeAllocatable": [],
        # Our images cannot be pulled again, so image garbage collection never runs, and only
        # a nearly full disk evicts.
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {
            "memory.available": "100Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
            "nodefs.inodesFree": "1%",
        },
        "serializeImagePulls": False,
        "registerWithTaints": [
            {"key": NODE_LABEL, "value": NODE_LABEL_VALUE, "effect": "NoSchedule"}
        ],
        "shutdownGracePeriod": "0s",
        "rotateCertificates": False,
    }
    return yaml.safe_dump(config, sort_keys=True)


def corefile(kubeconfig: Path, health_port: int, ready_port: int) -> str:
    """Cluster DNS on ``HOST_IP``: Services and pods of ``CLUSTER_DOMAIN`` from the apiserver,
    with a short TTL so that a new StatefulSet pod's name resolves within seconds."""
    return f"""\
.:53 {{
    bind {HOST_IP}
    errors
    health 127.0.0.1:{health_port}
    ready 127.0.0.1:{ready_port}
    kubernetes {CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {{
        kubeconfig {kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }}
    cache 5
    loadbalance
}}
"""
