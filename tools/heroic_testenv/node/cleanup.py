"""What a stopped node leaves behind, removed: container processes, shims, mounts, cgroups.

The kubelet bind-mounts its root directory, mounts every pod volume below it, and makes a
``kubepods`` cgroup tree in every controller; containerd mounts container root filesystems and
pod network namespaces below its state directory. None of that goes away with the processes, and
after a crash there are no processes left to ask, so this works from the kernel's own tables.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
POD_CGROUP = "kubepods"


def _cgroup_trees() -> list[Path]:
    """Every ``kubepods`` directory, in every mounted controller hierarchy (v1) or the v2 root."""
    roots = [p for p in CGROUP_ROOT.iterdir() if p.is_dir()] if CGROUP_ROOT.is_dir() else []
    roots.append(CGROUP_ROOT)
    return [root / POD_CGROUP for root in roots if (root / POD_CGROUP).is_dir()]


def pod_pids() -> set[int]:
    """Processes in the kubepods cgroups: the containers' (and nothing else on the machine)."""
    pids: set[int] = set()
    for tree in _cgroup_trees():
        for procs in tree.rglob("cgroup.procs"):
            with contextlib.suppress(OSError, ValueError):
                pids.update(int(line) for line in procs.read_text().split())
    return pids


def shim_pids(containerd_socket: Path) -> set[int]:
    """containerd-shim-runc-v2 processes started by our containerd (their -address says so)."""
    pids = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if (
                argv
                and argv[0].endswith(b"containerd-shim-runc-v2")
                and (str(containerd_socket).encode() in argv)
            ):
                pids.add(int(entry.name))
    return pids


def kill_all(pids_of: list[set[int]], timeout: float = 15.0) -> set[int]:
    """SIGKILL the processes; returns those still alive after ``timeout`` (none, normally)."""
    pids = set().union(*pids_of)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while pids and time.monotonic() < deadline:
        pids = {p for p in pids if Path(f"/proc/{p}").exists() and not _zombie(p)}
        time.sleep(0.1)
    return pids


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return False


def mounts_under(prefixes: list[Path]) -> list[str]:
    """Mount points below any of ``prefixes``, deepest first (the order to unmount them in)."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")  # \040 for spaces
        if any(point == str(p) or point.startswith(f"{p}/") for p in prefixes):
            found.append(point)
    return sorted(set(found), key=lambda p: (-p.count("/"), p))


def unmount_all(prefixes: list[Path]) -> list[str]:
    """Unmount everything below ``prefixes``; returns what could not be unmounted."""
    for _ in range(5):  # a bind mount may be stacked on itself; a lazy unmount may need a pass
        points = mounts_under(prefixes)
        if not points:
            return []
        for point in points:
            if subprocess.run(["umount", point], capture_output=True, check=False).returncode:
                subprocess.run(["umount", "-l", point], capture_output=True, check=False)
    return mounts_under(prefixes)


def pod_cgroups() -> list[Path]:
    """The kubepods cgroup directories that exist, in every controller."""
    return [Path(root) for tree in _cgroup_trees() for root, _d, _f in os.walk(tree)]


def remove_cgroups() -> list[Path]:
    """rmdir the kubepods trees depth-first; returns directories that would not go."""
    left = []
    for tree in _cgroup_trees():
        for root, _dirs, _files in os.walk(tree, topdown=False):  # children before parents
            try:
                Path(root).rmdir()
            except FileNotFoundError:
                continue
            except OSError:
                left.append(Path(root))
    return left
