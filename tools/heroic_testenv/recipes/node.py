"""Build the real node's runtime from the Go module proxy: containerd v2 (with ctr and the runc
shim), the CNI plugins, and our CoreDNS (tools/coredns). kubelet and kube-proxy come from the
Kubernetes recipe, runc from Debian's package.

Everything is built with CGO off, so the binaries need nothing from the machine but the kernel;
containerd's tags leave out the snapshotters that need C libraries (btrfs, devmapper, zfs).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from heroic_testenv.paths import REPO_ROOT
from heroic_testenv.recipes.shell import run

CONTAINERD_COMMANDS = ("containerd", "ctr", "containerd-shim-runc-v2")
CONTAINERD_TAGS = "no_btrfs no_devmapper no_zfs"
CNI_PLUGINS = ("main/bridge", "main/loopback", "ipam/host-local", "meta/portmap")


def _go_install(component: str, target: Path, packages: list[str], tags: str = "") -> None:
    argv = ["go", "install", "-trimpath", "-ldflags=-s -w"]
    if tags:
        argv.append(f"-tags={tags}")
    run(
        component,
        [*argv, *packages],
        cwd=target,
        log=target / "build.log",
        env={"GOBIN": str(target / "bin"), "CGO_ENABLED": "0", "GOFLAGS": "-p=2"},
    )


def build_containerd(target: Path, version: str) -> None:
    """containerd, ctr and containerd-shim-runc-v2 into target/bin."""
    module = "github.com/containerd/containerd/v2"
    packages = [f"{module}/cmd/{name}@{version}" for name in CONTAINERD_COMMANDS]
    _go_install("containerd", target, packages, tags=CONTAINERD_TAGS)


def build_cni_plugins(target: Path, version: str) -> None:
    """The CNI plugins the node's network uses: bridge, loopback, host-local, portmap."""
    module = "github.com/containernetworking/plugins"
    _go_install("cni-plugins", target, [f"{module}/plugins/{p}@{version}" for p in CNI_PLUGINS])


def build_coredns(target: Path, version: str) -> None:
    """Our CoreDNS main with the few plugins the cluster DNS needs (pinned by its go.mod)."""
    del version  # pinned by tools/coredns/go.mod
    src, log = target / "src", target / "build.log"
    shutil.copytree(REPO_ROOT / "tools" / "coredns", src)
    run(
        "coredns",
        ["go", "build", "-trimpath", "-ldflags=-s -w", "-o", str(target / "bin" / "coredns"), "."],
        cwd=src,
        log=log,
        env={"CGO_ENABLED": "0", "GOFLAGS": "-p=2"},
    )
