"""Build Kubernetes binaries from the Go module proxy: the control plane (kube-apiserver,
kube-controller-manager, kube-scheduler) and, for the real node, kubelet and kube-proxy.

k8s.io/kubernetes requires its staging modules at the non-existent version v0.0.0 and maps them
with replace directives that do not apply to a dependent module, so a wrapper module replaces
each one with its published v0.<minor>.<patch> release, generated from the upstream go.mod.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from heroic_testenv.recipes.shell import run

CONTROL_PLANE = ("kube-apiserver", "kube-controller-manager", "kube-scheduler")
NODE = ("kubelet", "kube-proxy")


def build(
    target: Path,
    version: str,
    binaries: tuple[str, ...] = CONTROL_PLANE,
    component: str = "kubernetes",
) -> None:
    """Build ``binaries`` of ``version`` (e.g. v1.36.3) into target/bin."""
    src, log = target / "src", target / "build.log"
    src.mkdir()
    major, minor, patch = version.lstrip("v").split(".")
    run(component, ["go", "mod", "init", "testenv.local/k8sbins"], cwd=src, log=log)
    info = json.loads(
        run(
            component,
            ["go", "mod", "download", "-json", f"k8s.io/kubernetes@{version}"],
            cwd=src,
            log=log,
        )
    )
    upstream = Path(info["GoMod"]).read_text()
    staging = sorted(set(re.findall(r"^\s+(k8s\.io/[a-z0-9-]+) v0\.0\.0$", upstream, re.M)))
    for module in staging:
        run(
            component,
            ["go", "mod", "edit", f"-replace={module}={module}@v0.{minor}.{patch}"],
            cwd=src,
            log=log,
        )
    packages = [f"k8s.io/kubernetes/cmd/{name}" for name in binaries]
    run(component, ["go", "get", *(f"{p}@{version}" for p in packages)], cwd=src, log=log)
    stamp = "k8s.io/component-base/version"
    ldflags = (
        f"-s -w -X {stamp}.gitVersion={version} -X {stamp}.gitMajor={major} "
        f"-X {stamp}.gitMinor={minor} -X {stamp}.gitTreeState=clean"
    )
    run(
        component,
        [
            "go",
            "build",
            "-p",
            "2",
            "-trimpath",
            "-tags=selinux,notest,grpcnotrace",
            f"-ldflags={ldflags}",
            "-o",
            str(target / "bin") + "/",
            *packages,
        ],
        cwd=src,
        log=log,
        env={"CGO_ENABLED": "0"},
    )
