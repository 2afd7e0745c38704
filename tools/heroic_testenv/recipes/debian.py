"""Programs from Debian's packages, unpacked into the cache (no system install): nginx, runc,
VictoriaMetrics (the benchmarks' peer), Prometheus (the PromQL tests' reference), memcached (the
query cache tests' server)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from heroic_testenv.procs import ComponentError
from heroic_testenv.recipes.shell import run


def unpack(component: str, target: Path, package: str) -> Path:
    """``apt-get download`` the package (after ``apt-get update`` if the lists lack it), then
    ``dpkg-deb -x`` it into target/root, which is returned."""
    log = target / "build.log"
    try:
        run(component, ["apt-get", "download", "-q", package], cwd=target, log=log)
    except ComponentError:
        run(component, ["apt-get", "update", "-q"], cwd=target, log=log)
        run(component, ["apt-get", "download", "-q", package], cwd=target, log=log)
    (deb,) = target.glob("*.deb")
    root = target / "root"
    run(component, ["dpkg-deb", "-x", str(deb), str(root)], cwd=target, log=log)
    deb.unlink()
    return root


def _check(component: str, target: Path, argv: list[str], expect: str) -> None:
    probe = subprocess.run(argv, capture_output=True, text=True, check=False)
    if probe.returncode != 0 or expect not in probe.stdout + probe.stderr:
        problem = f"{argv[0]} does not run or lacks {expect!r}: {probe.stderr}"
        raise ComponentError(component, problem, target / "build.log")


def build_nginx(target: Path, package: str) -> None:
    """nginx with TLS; the binary is target/root/usr/sbin/nginx."""
    binary = unpack("nginx", target, package) / "usr" / "sbin" / "nginx"
    _check("nginx", target, [str(binary), "-V"], "--with-http_ssl_module")


def build_runc(target: Path, package: str) -> None:
    """runc, the OCI runtime under containerd (Debian's build links libseccomp, so seccomp
    profiles such as RuntimeDefault work); the binary is target/root/usr/sbin/runc."""
    binary = unpack("runc", target, package) / "usr" / "sbin" / "runc"
    _check("runc", target, [str(binary), "--version"], "seccomp")


def build_victoria_metrics(target: Path, package: str) -> None:
    """Single-node VictoriaMetrics, the peer of ``make bench``; the binary is
    target/root/usr/bin/victoria-metrics."""
    binary = unpack("victoria-metrics", target, package) / "usr" / "bin" / "victoria-metrics"
    _check("victoria-metrics", target, [str(binary), "-help"], "-storageDataPath")


def build_prometheus(target: Path, package: str, version: str) -> None:
    """Prometheus and promtool, the reference of the differential PromQL tests; the binaries
    are target/root/usr/bin/prometheus and target/root/usr/bin/promtool. The check insists on
    the pinned version, since ``apt-get download`` takes whatever the mirror serves now."""
    bin_dir = unpack("prometheus", target, package) / "usr" / "bin"
    _check("prometheus", target, [str(bin_dir / "prometheus"), "--version"], f"version {version}")
    _check("prometheus", target, [str(bin_dir / "promtool"), "--version"], f"version {version}")


def build_memcached(target: Path, package: str, version: str) -> None:
    """memcached; the binary is target/root/usr/bin/memcached. The check also proves that the
    shared libraries it links (libevent) are on the machine."""
    binary = unpack("memcached", target, package) / "usr" / "bin" / "memcached"
    _check("memcached", target, [str(binary), "-V"], f"memcached {version}")
