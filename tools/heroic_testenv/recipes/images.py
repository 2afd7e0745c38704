"""Container images without a Docker daemon: Debian bases by mmdebstrap, builds by buildah.

buildah runs with chroot isolation, so it needs no daemon and no OCI runtime (runc, crun), and
it keeps images in its default store (``/var/lib/containers/storage`` as root), where
``buildah push`` can send them on. Each command runs through ``step``: a failure raises a
ComponentError that names the step and shows the build log's tail.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from heroic_testenv.paths import cache_root
from heroic_testenv.procs import ComponentError
from heroic_testenv.recipes.shell import run

# Debian package of each command the images need; installed with apt-get when missing.
TOOLS = {"buildah": "buildah", "mmdebstrap": "mmdebstrap"}
# Slim roots, as Debian's own slim images: no manuals, documentation (licences stay), locales.
DPKG_EXCLUDES = (
    "path-exclude=/usr/share/man/*",
    "path-exclude=/usr/share/info/*",
    "path-exclude=/usr/share/doc/*",
    "path-include=/usr/share/doc/*/copyright",
    "path-exclude=/usr/share/locale/*",
    "path-exclude=/usr/share/lintian/*",
)
# The debootstrap way to a merged /usr, which keeps usrmerge (and with it perl) out.
MERGED_USR_HOOKS = "/usr/share/mmdebstrap/hooks/merged-usr"
# openjdk's postinst links its manual page and fails when the directory is excluded.
MAN1_SETUP = 'mkdir -p "$1/usr/share/man/man1"'
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The bases: Debian packages and image config of each. Debian 12's python3 is 3.11, as the
# Containerfile's default image; default-jre-headless adds /usr/lib/jvm/default-java.
BASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "python": (("python3", "python3-venv", "ca-certificates"), ('--cmd=["python3"]',)),
    "jre": (("openjdk-17-jre-headless", "default-jre-headless"), ('--cmd=["java", "-version"]',)),
}
PYTHON = (3, 11)
# The wheelhouse's mount point in the heroic build: it exists in both bases, so mounting there
# leaves no new (empty) directory in the image, as a new mount point would.
WHEELS_INSIDE = "/mnt"
# The project's own wheel (with the consumer's compiled decoder) is mounted here, likewise.
PROJECT_INSIDE = "/srv"
# What the project's wheel must hold: the compiled decoder (a stable-ABI build of
# workloads/consumer/native), which the image's build stage cannot compile (no Rust, no network).
NATIVE_MODULE = "heroic_consumer/_native.abi3.so"
# cargo's build output, outside every checkout (as the Makefile's CARGO_TARGET_DIR).
CARGO_TARGET = Path.home() / ".cache" / "heroic-cargo-target"


def step(component: str, what: str, argv: Sequence[str], log: Path, cwd: Path) -> str:
    """Run one build step; on failure raise naming ``what``, with the log's tail."""
    try:
        return run(component, argv, cwd=cwd, log=log, env={"DEBIAN_FRONTEND": "noninteractive"})
    except ComponentError as exc:
        raise ComponentError(component, f"{what} failed ({' '.join(argv[:2])})", log) from exc


def ensure_tools(component: str, log: Path) -> None:
    """Install buildah and mmdebstrap from Debian unless they are there (CI starts fresh)."""
    if all(shutil.which(tool) for tool in TOOLS):
        return
    locks = cache_root() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with (locks / "apt-get.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        missing = [package for tool, package in TOOLS.items() if not shutil.which(tool)]
        if not missing:
            return
        if os.geteuid() != 0:
            raise ComponentError(
                component, f"needs {' '.join(missing)}: apt-get install {' '.join(missing)}"
            )
        print(f"[testenv] apt-get install {' '.join(missing)}", file=sys.stderr, flush=True)
        install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *missing]
        install[1:1] = ["-o", "DPkg::Lock::Timeout=300"]
        try:
            run(component, install, cwd=log.parent, log=log)
        except ComponentError:
            step(component, "apt-get update", ["apt-get", "update", "-q"], log, log.parent)
            step(component, "installing build tools", install, log, log.parent)


def debian_sources(suite: str, mirror: str, security_mirror: str) -> list[str]:
    """One-line apt sources for the suite, its updates and its security updates."""
    return [
        f"deb {mirror} {suite} main",
        f"deb {mirror} {suite}-updates main",
        f"deb {security_mirror} {suite}-security main",
    ]


def mmdebstrap_argv(
    suite: str, sources: Sequence[str], packages: Sequence[str], output: Path
) -> list[str]:
    """A minimal Debian root (essential packages, apt, ``packages``) as a tarball, without
    device nodes (container runtimes provide /dev) and with apt's lists and caches cleaned."""
    argv = [
        "mmdebstrap",
        "--variant=minbase",
        f"--hook-dir={MERGED_USR_HOOKS}",
        f"--setup-hook={MAN1_SETUP}",
        "--skip=output/dev",
        '--aptopt=Acquire::Languages "none"',
        *(f"--dpkgopt={option}" for option in DPKG_EXCLUDES),
    ]
    if packages:
        argv.append(f"--include={','.join(packages)}")
    return [*argv, suite, str(output), *sources]


def image_exists(ref: str) -> bool:
    probe = subprocess.run(
        ["buildah", "inspect", "--type", "image", ref], capture_output=True, check=False
    )
    return probe.returncode == 0


def build_base(target: Path, kind: str, ref: str, suite: str, sources: Sequence[str]) -> None:
    """mmdebstrap the Debian root of base ``kind`` (see BASES) into a tarball, then make it the
    image ``ref`` in buildah's store: ``from scratch``, ``add``, ``config``, ``commit``."""
    component = f"image-base-{kind}"
    packages, config = BASES[kind]
    log = target / "build.log"
    ensure_tools(component, log)
    rootfs = target / "rootfs.tar"
    mmdebstrap = mmdebstrap_argv(suite, sources, packages, rootfs)
    step(component, "mmdebstrap (Debian root filesystem)", mmdebstrap, log, target)
    scratch = ["buildah", "from", "scratch"]
    container = step(component, "buildah from scratch", scratch, log, target).strip()
    try:
        step(component, "buildah add", ["buildah", "add", container, str(rootfs), "/"], log, target)
        options = [f"--env=PATH={BASE_PATH}", "--env=LANG=C.UTF-8", *config]
        step(component, "buildah config", ["buildah", "config", *options, container], log, target)
        step(component, "buildah commit", ["buildah", "commit", container, ref], log, target)
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True, check=False)
    rootfs.unlink()  # the image is in the store now; a lost store rebuilds the entry


def bud_argv(
    containerfile: Path,
    context: Path,
    tags: Sequence[str],
    build_args: Mapping[str, str],
    volumes: Mapping[Path, str],
) -> list[str]:
    """``buildah bud`` without a daemon, a runtime or a registry: chroot isolation, local bases
    only; ``volumes`` (host path -> container path) are mounted read-only into RUN steps."""
    argv = ["buildah", "bud", "--isolation=chroot", "--pull=never", f"--file={containerfile}"]
    argv += [f"--tag={tag}" for tag in tags]
    argv += [f"--build-arg={name}={value}" for name, value in build_args.items()]
    argv += [f"--volume={host}:{inside}:ro" for host, inside in volumes.items()]
    return [*argv, str(context)]


def build_image(component: str, target: Path, bud: Sequence[str], ref: str) -> Path:
    """Run ``bud`` and export ``ref`` to target/image.tar, a docker-archive naming ``ref`` (what
    ``ctr images import`` and ``docker load`` read); returns the archive."""
    log = target / "build.log"
    ensure_tools(component, log)
    step(component, "buildah bud", bud, log, target)
    archive = target / "image.tar"
    push = ["buildah", "push", "--quiet", ref, f"docker-archive:{archive}:{ref}"]
    step(component, "buildah push (docker-archive)", push, log, target)
    (target / "ref").write_text(ref + "\n")
    return archive


def remove_image(ref: str) -> None:
    """Untag ``ref`` in the store (its layers go when nothing else uses them)."""
    subprocess.run(["buildah", "rmi", ref], capture_output=True, check=False)


def load_and_tag(component: str, archive: Path, ref: str, tags: Sequence[str]) -> None:
    """Make sure ``ref`` is in the store (loading ``archive`` if a cleaned store lost it) and
    give it ``tags`` as well."""
    log, cwd = archive.parent / "tag.log", archive.parent
    if not image_exists(ref):
        step(component, "buildah pull", ["buildah", "pull", f"docker-archive:{archive}"], log, cwd)
    if tags:
        step(component, "buildah tag", ["buildah", "tag", ref, *tags], log, cwd)


def build_wheelhouse(target: Path, requirements: Sequence[str], python: tuple[int, int]) -> None:
    """``pip wheel`` every requirement into target/wheels on this machine, which has the
    package index: the image build then installs from there with no network at all."""
    log = target / "build.log"
    if sys.version_info[:2] != python:
        found = ".".join(map(str, sys.version_info[:2]))
        want = ".".join(map(str, python))
        raise ComponentError("wheelhouse", f"wheels need Python {want}, this is {found}")
    (target / "requirements.txt").write_text("\n".join(requirements) + "\n")
    argv = [sys.executable, "-m", "pip", "wheel", "--wheel-dir", str(target / "wheels")]
    step("wheelhouse", "pip wheel", [*argv, "-r", str(target / "requirements.txt")], log, target)


def fetch_deb_file(component: str, target: Path, package: str, path: str) -> Path:
    """One file of a Debian package (``apt-get download`` + ``dpkg-deb -x``, nothing is
    installed), at target/root/``path``."""
    log = target / "build.log"
    download = ["apt-get", "download", "-q", package]
    try:
        run(component, download, cwd=target, log=log)
    except ComponentError:
        step(component, "apt-get update", ["apt-get", "update", "-q"], log, target)
        step(component, f"apt-get download {package}", download, log, target)
    (deb,) = target.glob("*.deb")
    step(component, "dpkg-deb -x", ["dpkg-deb", "-x", str(deb), str(target / "root")], log, target)
    deb.unlink()
    return target / "root" / path.lstrip("/")


def build_project_wheel(target: Path, root: Path, files: Sequence[Path]) -> Path:
    """The project's own wheel, built on this machine, where cargo is: ``pip wheel --no-deps``
    of a clean copy of ``files`` (the build context, under ``root``), into target/project.
    Raises unless the wheel holds the consumer's compiled decoder."""
    log = target / "build.log"
    context, out = target / "context", target / "project"
    shutil.rmtree(context, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    for path in files:
        copy = context / path.relative_to(root)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
    cargo_bin = Path.home() / ".cargo" / "bin"
    env = {
        "PATH": f"{cargo_bin}{os.pathsep}{os.environ.get('PATH', '')}",
        "CARGO_TARGET_DIR": os.environ.get("CARGO_TARGET_DIR") or str(CARGO_TARGET),
    }
    argv = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out)]
    try:
        run("image-heroic", [*argv, str(context)], cwd=target, log=log, env=env)
    except ComponentError as exc:
        raise ComponentError("image-heroic", "pip wheel (the project) failed", log) from exc
    finally:
        shutil.rmtree(context, ignore_errors=True)
    (wheel,) = out.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        if NATIVE_MODULE not in archive.namelist():
            raise ComponentError(
                "image-heroic",
                f"the project's wheel lacks {NATIVE_MODULE}: the consumer's compiled decoder "
                "did not build (is cargo in ~/.cargo/bin or on PATH?)",
                log,
            )
    return wheel


def build_heroic(
    target: Path,
    ref: str,
    tags: Sequence[str],
    *,
    base: str,
    wheels: Path,
    project: Path,
    root: Path,
) -> None:
    """The Containerfile in ``root`` on the Debian base, installing the ``project`` wheel with
    its dependencies from ``wheels`` only; the build fails unless the consumer's compiled
    decoder imports in the image."""
    build_args = {
        "PYTHON_IMAGE": base,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": WHEELS_INSIDE,
        "HEROIC_PROJECT": f"{PROJECT_INSIDE}/{project.name}",
        "HEROIC_CONSUMER_DECODER": "native",
    }
    volumes = {wheels: WHEELS_INSIDE, project.parent: PROJECT_INSIDE}
    bud = bud_argv(root / "Containerfile", root, [ref, *tags], build_args, volumes)
    build_image("image-heroic", target, bud, ref)


def build_elasticsearch(target: Path, ref: str, base: str, home: Path, files: Path) -> None:
    """``files``/Containerfile on the JRE base; the context is the distribution at ``home``
    (without Windows files) and ``files``/entrypoint.sh, removed again after the build."""
    context = target / "context"
    try:
        skip = shutil.ignore_patterns("*.bat", "*.exe")
        shutil.copytree(home, context / "elasticsearch", symlinks=True, ignore=skip)
        shutil.copy2(files / "entrypoint.sh", context / "entrypoint.sh")
        bud = bud_argv(files / "Containerfile", context, [ref], {"JRE_IMAGE": base}, {})
        build_image("image-elasticsearch", target, bud, ref)
    finally:
        shutil.rmtree(context, ignore_errors=True)


def build_pause(target: Path, ref: str, files: Path) -> None:
    """``files``/Containerfile from scratch around Debian's static catatonit."""
    binary = fetch_deb_file("image-pause", target, "catatonit", "/usr/bin/catatonit")
    context = target / "context"
    context.mkdir()
    shutil.copy2(binary, context / "catatonit")
    shutil.rmtree(target / "root")
    try:
        bud = bud_argv(files / "Containerfile", context, [ref], {}, {})
        build_image("image-pause", target, bud, ref)
    finally:
        shutil.rmtree(context, ignore_errors=True)
