"""Build small Go programs: etcd and kwok from the module proxy, and our own gcpfakes."""

from __future__ import annotations

import shutil
from pathlib import Path

from heroic_testenv.paths import REPO_ROOT
from heroic_testenv.recipes.shell import run


def build_etcd(target: Path, version: str) -> None:
    """etcd's server module carries replace directives, so it is built from a wrapper module."""
    src, log = target / "src", target / "build.log"
    src.mkdir()
    run("etcd", ["go", "mod", "init", "testenv.local/etcd"], cwd=src, log=log)
    run("etcd", ["go", "get", f"go.etcd.io/etcd/server/v3@{version}"], cwd=src, log=log)
    run(
        "etcd",
        [
            "go",
            "build",
            "-trimpath",
            "-ldflags=-s -w",
            "-o",
            str(target / "bin" / "etcd"),
            "go.etcd.io/etcd/server/v3",
        ],
        cwd=src,
        log=log,
        env={"CGO_ENABLED": "0"},
    )


def build_kwok(target: Path, version: str) -> None:
    """kwok plus a copy of the stage files that ship inside its module."""
    log = target / "build.log"
    run(
        "kwok",
        ["go", "install", f"sigs.k8s.io/kwok/cmd/kwok@{version}"],
        cwd=target,
        log=log,
        env={"GOBIN": str(target / "bin"), "CGO_ENABLED": "0"},
    )
    modcache = run("kwok", ["go", "env", "GOMODCACHE"], cwd=target, log=log).strip()
    stages = Path(modcache) / f"sigs.k8s.io/kwok@{version}" / "kustomize" / "stage"
    wanted = [
        "node/fast/node-initialize.yaml",
        "node/heartbeat-with-lease/node-heartbeat-with-lease.yaml",
        "pod/fast/pod-ready.yaml",
        "pod/fast/pod-complete.yaml",
        "pod/fast/pod-delete.yaml",
    ]
    docs = []
    for name in wanted:
        path = stages / name
        if not path.exists():
            found = sorted(stages.rglob(Path(name).name))
            if not found:
                raise FileNotFoundError(f"kwok stage {name} not in {stages}")
            path = found[0]
        docs.append(path.read_text().strip())
    (target / "stages.yaml").write_text("\n---\n".join(docs) + "\n")


def build_gcpfakes(target: Path, version: str) -> None:
    """Our own main around Google's Pub/Sub and Bigtable fakes (tools/gcpfakes)."""
    del version  # pinned by tools/gcpfakes/go.mod
    src, log = target / "src", target / "build.log"
    shutil.copytree(REPO_ROOT / "tools" / "gcpfakes", src)
    run(
        "gcpfakes",
        ["go", "build", "-trimpath", "-ldflags=-s -w", "-o", str(target / "bin" / "gcpfakes"), "."],
        cwd=src,
        log=log,
        env={"CGO_ENABLED": "0"},
    )
