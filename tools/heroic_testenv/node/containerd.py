"""The node's containerd through ``ctr``: images in, stale containers out.

Images reach the node only by import (no registry is reachable): ``import_image`` loads an
archive unless containerd already has that reference, so a warm start imports nothing.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

NAMESPACE = "k8s.io"  # the CRI plugin's namespace: what the kubelet sees


@dataclass(frozen=True)
class Ctr:
    """``ctr`` against one containerd socket."""

    binary: Path
    socket: Path

    def __call__(self, *args: str, check: bool = True, timeout: float = 600) -> str:
        argv = [str(self.binary), "--address", str(self.socket), "--namespace", NAMESPACE, *args]
        proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout)
        if check and proc.returncode != 0:
            raise RuntimeError(f"ctr {' '.join(args[:3])}: {proc.stderr.strip()}")
        return proc.stdout

    def answers(self) -> bool:
        try:
            self("version", timeout=5)
        except (RuntimeError, subprocess.TimeoutExpired):
            return False
        return True

    def images(self) -> set[str]:
        return set(self("images", "list", "--quiet").split())

    def import_image(self, archive: Path, ref: str) -> bool:
        """Import ``archive`` unless ``ref`` is already there; True if it imported."""
        if ref in self.images():
            return False
        # --no-unpack would defer the snapshot to the first pod start; unpacking now keeps the
        # first pod's start time honest.
        self("images", "import", "--snapshotter", "overlayfs", str(archive))
        if ref not in self.images():
            raise RuntimeError(f"ctr imported {archive} but containerd has no image {ref}")
        return True

    def remove_all_containers(self) -> int:
        """Kill and remove every container (and so its snapshot); returns how many."""
        ids = self("containers", "list", "--quiet", check=False).split()
        for cid in ids:
            self("tasks", "kill", "--signal", "SIGKILL", cid, check=False, timeout=30)
            self("tasks", "delete", "--force", cid, check=False, timeout=30)
            self("containers", "delete", cid, check=False, timeout=30)
        return len(ids)
