"""Programs the machine itself must have (root on Debian): installed with apt-get when missing.

The node needs the kernel's packet filter tools on PATH, because kube-proxy and the CNI plugins
call them by name; unlike the components, these cannot live in the cache.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Mapping

from heroic_testenv.procs import ComponentError

APT = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "-q", "-y"]


def ensure_commands(component: str, packages: Mapping[str, str]) -> None:
    """Install ``{command: debian package}`` whose command is not on PATH."""
    missing = sorted({pkg for cmd, pkg in packages.items() if shutil.which(cmd) is None})
    if not missing:
        return
    if shutil.which("apt-get") is None:
        raise ComponentError(component, f"needs {', '.join(missing)} (no apt-get to install it)")
    print(f"[testenv] installing {', '.join(missing)} with apt-get", file=sys.stderr, flush=True)
    install = [*APT, "install", "--no-install-recommends", *missing]
    if subprocess.run(install, capture_output=True, check=False).returncode != 0:
        subprocess.run([*APT, "update"], capture_output=True, check=False)
        done = subprocess.run(install, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise ComponentError(component, f"apt-get install {missing} failed: {done.stderr}")
