"""The node's fixed names and addresses, and where its state lives.

One real node per machine: the bridge, the addresses and the directories below are fixed, so a
second checkout's node is refused rather than tangled with the first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

NODE_NAME = "heroic-node-0"
BRIDGE = "heroic0"
#: The host's address on the pod bridge: gateway, node IP, cluster DNS, and the address at which
#: pods reach the test environment's backends.
HOST_IP = "10.88.0.1"
POD_CIDR = "10.88.0.0/16"
CLUSTER_DOMAIN = "cluster.local"
#: Label and taint of the real node: only pods that tolerate the taint (namespaces annotated by
#: ``real_node_namespace_annotations``) run on it; everything else stays on kwok's fake node.
NODE_LABEL = "heroic.dev/testenv-node"
NODE_LABEL_VALUE = "real"
#: kwok's fake pod IPs: never routable, so that nothing ever leaves the machine towards them.
KWOK_CIDR = "10.244.0.0/16"
#: Marks every iptables rule of ours, so that cleanup finds exactly those.
RULE_COMMENT = "heroic-testenv-node"


@dataclass(frozen=True)
class Layout:
    """The node's directories: ``persistent`` survives ``down`` (containerd's images and
    snapshots, so that a warm start imports nothing); ``volatile`` holds everything else."""

    persistent: Path = Path("/var/lib/heroic-testenv/node")
    volatile: Path = Path("/var/lib/heroic-testenv/node-run")

    @property
    def containerd_root(self) -> Path:
        return self.persistent / "containerd"

    @property
    def containerd_state(self) -> Path:
        return self.volatile / "containerd"

    @property
    def containerd_socket(self) -> Path:
        return self.volatile / "containerd.sock"

    @property
    def kubelet_root(self) -> Path:
        return self.volatile / "kubelet"

    @property
    def pod_logs(self) -> Path:
        return self.volatile / "pod-logs"

    @property
    def cni_conf(self) -> Path:
        return self.volatile / "cni-conf"

    @property
    def cni_data(self) -> Path:
        return self.volatile / "cni-data"

    @property
    def config(self) -> Path:
        return self.volatile / "config"

    @property
    def owner(self) -> Path:
        """Names the run directory whose node this is."""
        return self.volatile / "owner"


def real_node_namespace_annotations() -> dict[str, str]:
    """Annotations that put every pod of a namespace on the real node (the apiserver's
    PodNodeSelector and PodTolerationRestriction admission plugins apply them), with no change
    to the pods' own specs. On clusters without those plugins they are ignored."""
    toleration = (
        f'[{{"key": "{NODE_LABEL}", "operator": "Equal", "value": "{NODE_LABEL_VALUE}", '
        '"effect": "NoSchedule"}]'
    )
    return {
        "scheduler.alpha.kubernetes.io/node-selector": f"{NODE_LABEL}={NODE_LABEL_VALUE}",
        "scheduler.alpha.kubernetes.io/defaultTolerations": toleration,
    }


def restricted_namespace(name: str, annotations: dict[str, str]) -> str:
    """A Namespace (JSON for kubectl) under the restricted Pod Security Standard, enforced,
    with ``annotations`` (``real_node_namespace_annotations()`` to run its pods on the node)."""
    labels = {
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "latest",
    }
    metadata = {"name": name, "annotations": annotations, "labels": labels}
    return json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata})
