"""The real node's configuration files, as rendered for containerd, CNI, the kubelet and CoreDNS."""

from __future__ import annotations

import ipaddress
import json
import tomllib
from pathlib import Path

import pytest
import yaml

from heroic_testenv.components.kubernetes import SERVICE_CIDR
from heroic_testenv.node import configs, network
from heroic_testenv.node.layout import (
    BRIDGE,
    HOST_IP,
    KWOK_CIDR,
    NODE_LABEL,
    POD_CIDR,
    RULE_COMMENT,
    Layout,
    real_node_namespace_annotations,
)
from heroic_testenv.registry import resolve

LAYOUT = Layout(persistent=Path("/p"), volatile=Path("/v"))
BINARIES = configs.Binaries(runc=Path("/cache/runc"), cni_bin=Path("/cache/cni/bin"))


def test_containerd_runs_runc_with_our_cni_and_a_pinned_sandbox() -> None:
    config = tomllib.loads(configs.containerd_config(LAYOUT, BINARIES, "localhost/pause:1"))
    assert config["version"] == 3
    assert config["grpc"]["address"] == str(LAYOUT.containerd_socket)
    runtime = config["plugins"]["io.containerd.cri.v1.runtime"]
    assert runtime["restrict_oom_score_adj"] is True
    assert runtime["netns_mounts_under_state_dir"] is True
    runc = runtime["containerd"]["runtimes"]["runc"]
    assert runc["options"] == {"BinaryName": "/cache/runc", "SystemdCgroup": False}
    assert runtime["cni"] == {"bin_dirs": ["/cache/cni/bin"], "conf_dir": str(LAYOUT.cni_conf)}
    images = config["plugins"]["io.containerd.cri.v1.images"]
    assert images["pinned_images"] == {"sandbox": "localhost/pause:1"}


def test_every_node_path_is_below_the_layouts_two_roots() -> None:
    # cleanup unmounts below exactly these two roots, so nothing may live elsewhere
    paths = [
        LAYOUT.containerd_root,
        LAYOUT.containerd_state,
        LAYOUT.containerd_socket,
        LAYOUT.kubelet_root,
        LAYOUT.pod_logs,
        LAYOUT.cni_conf,
        LAYOUT.cni_data,
        LAYOUT.config,
    ]
    for path in paths:
        assert path.is_relative_to(LAYOUT.persistent) or path.is_relative_to(LAYOUT.volatile)


def test_cni_network_is_one_bridge_with_the_host_as_gateway_and_no_masquerade() -> None:
    conflist = json.loads(configs.cni_conflist(LAYOUT))
    bridge, portmap = conflist["plugins"]
    assert bridge["bridge"] == BRIDGE
    assert bridge["ipMasq"] is False  # pods never reach past the machine
    assert bridge["ipam"]["ranges"] == [[{"subnet": POD_CIDR, "gateway": HOST_IP}]]
    assert bridge["ipam"]["dataDir"] == str(LAYOUT.cni_data)
    assert portmap["type"] == "portmap"


def test_kubelet_on_cgroups_v1_with_our_dns_taint_and_ca() -> None:
    ports = configs.KubeletPorts(api=12345, healthz=12346)
    config = yaml.safe_load(configs.kubelet_config(LAYOUT, ports, Path("/pki/ca.crt")))
    assert config["failCgroupV1"] is False
    assert config["cgroupDriver"] == "cgroupfs"
    assert config["containerRuntimeEndpoint"] == f"unix://{LAYOUT.containerd_socket}"
    assert config["address"] == HOST_IP
    assert config["port"] == 12345
    assert config["clusterDNS"] == [HOST_IP]
    assert config["authentication"]["x509"]["clientCAFile"] == "/pki/ca.crt"
    assert config["authentication"]["anonymous"]["enabled"] is False
    assert [t["key"] for t in config["registerWithTaints"]] == [NODE_LABEL]
    assert config["imageGCHighThresholdPercent"] == 100  # imported images cannot be pulled again


def test_corefile_serves_the_cluster_domain_on_the_host_address() -> None:
    text = configs.corefile(Path("/k/admin.kubeconfig"), 1053, 1054)
    assert f"bind {HOST_IP}" in text
    assert "kubernetes cluster.local in-addr.arpa ip6.arpa {" in text
    assert "kubeconfig /k/admin.kubeconfig" in text
    assert "ready 127.0.0.1:1054" in text
    assert text.count("{") == text.count("}")


def test_ranges_do_not_overlap() -> None:
    nets = [ipaddress.ip_network(n) for n in (POD_CIDR, SERVICE_CIDR, KWOK_CIDR)]
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    assert ipaddress.ip_address(HOST_IP) in ipaddress.ip_network(POD_CIDR)


def test_every_iptables_rule_carries_our_comment() -> None:
    rules = network.our_rules()
    assert rules
    for _table, rule in rules:
        assert RULE_COMMENT in rule
    dnat = next(rule for table, rule in rules if table == "nat")
    assert dnat[dnat.index("-d") + 1] == f"{HOST_IP}/32"
    assert dnat[-1] == "127.0.0.1"


def test_namespace_annotations_select_the_node_and_tolerate_its_taint() -> None:
    annotations = real_node_namespace_annotations()
    selector = annotations["scheduler.alpha.kubernetes.io/node-selector"]
    assert selector == f"{NODE_LABEL}=real"
    (toleration,) = json.loads(annotations["scheduler.alpha.kubernetes.io/defaultTolerations"])
    assert toleration == {
        "key": NODE_LABEL,
        "operator": "Equal",
        "value": "real",
        "effect": "NoSchedule",
    }


def test_the_node_brings_the_control_plane_along() -> None:
    assert resolve("node") == ["kubernetes", "node"]
    assert "node" not in resolve("kubernetes kafka")


def test_without_iptables_installed_there_is_nothing_to_clean_and_no_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A fresh machine: the cleanup before the node's first start runs before apt-get has
    # installed iptables, and must not fail for want of iptables-save.
    monkeypatch.setenv("PATH", str(tmp_path))
    assert network.leftover_rules() == []
