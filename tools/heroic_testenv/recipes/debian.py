"""Programs from Debian's packages, unpacked into the cache (no system install): nginx."""

from __future__ import annotations

import subprocess
from pathlib import Path

from heroic_testenv.procs import ComponentError
from heroic_testenv.recipes.shell import run


def build_nginx(target: Path, package: str) -> None:
    """``apt-get download`` the package (after ``apt-get update`` if the lists lack it), then
    ``dpkg-deb -x`` it into target/root; the binary is target/root/usr/sbin/nginx."""
    log = target / "build.log"
    try:
        run("nginx", ["apt-get", "download", "-q", package], cwd=target, log=log)
    except ComponentError:
        run("nginx", ["apt-get", "update", "-q"], cwd=target, log=log)
        run("nginx", ["apt-get", "download", "-q", package], cwd=target, log=log)
    (deb,) = target.glob("*.deb")
    run("nginx", ["dpkg-deb", "-x", str(deb), str(target / "root")], cwd=target, log=log)
    deb.unlink()
    binary = target / "root" / "usr" / "sbin" / "nginx"
    probe = subprocess.run([str(binary), "-V"], capture_output=True, text=True, check=False)
    if probe.returncode != 0 or "--with-http_ssl_module" not in probe.stderr:
        raise ComponentError("nginx", f"{binary} does not run or lacks TLS: {probe.stderr}", log)
