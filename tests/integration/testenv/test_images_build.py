"""The images the test environment builds without Docker, checked in the archive that
``ctr images import`` reads and run the way a container runtime runs them: a read-only root
filesystem, the image's user, environment, working directory and entry point, fresh tmpfs
mounts where a pod would mount emptyDirs.

Runs as root on Linux (buildah is installed with apt-get when missing). The first run builds the
images (a few minutes); later runs find them in the cache.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from heroic_testenv.images import PLANS, ImageArchive, ensure_image
from heroic_testenv.procs import free_port

pytestmark = [
    pytest.mark.skipif(
        sys.platform != "linux" or os.geteuid() != 0,
        reason="builds images with buildah and runs them in mount namespaces: root on Linux",
    ),
    pytest.mark.timeout(1800),  # a cold build installs buildah and bootstraps Debian
]
COMPILERS = ("cc", "gcc", "c++", "g++", "cpp", "clang", "x86_64-linux-gnu-gcc")


@dataclass(frozen=True)
class Unpacked:
    """An image's root filesystem (mounted by buildah) and its OCI config."""

    image: ImageArchive
    root: Path
    config: dict[str, Any]

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        pairs = (entry.partition("=")[::2] for entry in self.config.get("Env", []))
        return dict(pairs) | dict(extra or {})

    def command(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        writable: Sequence[str] = (),
        pid_namespace: bool = False,
    ) -> list[str]:
        """Host command that runs ``argv`` in the image as a runtime would: own mount
        namespace, the root bind-mounted read-only with /proc and /dev, a fresh tmpfs
        (mode 1777, like an emptyDir) on each of ``writable``, the image's user, workdir and
        environment plus ``env`` (set by env(1): a shell would drop names such as node.name)."""
        root = shlex.quote(str(self.root))
        uid, _, gid = self.config["User"].partition(":")
        lines = [
            "set -e",
            f"mount --bind {root} {root}",
            f"mount -o remount,bind,ro {root}",
            f"[ ! -d {root}/proc ] || mount -t proc proc {root}/proc",
            f"[ ! -d {root}/dev ] || mount --rbind /dev {root}/dev",
            *(f"mount -t tmpfs -o mode=1777 tmpfs {root}{shlex.quote(p)}" for p in writable),
        ]
        inner = [
            shutil.which("env") or "env",
            "-i",
            *(f"{name}={value}" for name, value in self.env(env).items()),
            shutil.which("unshare") or "unshare",
            *(["--pid", "--fork", "--kill-child"] if pid_namespace else []),
            f"--root={self.root}",
            f"--wd={self.config.get('WorkingDir') or '/'}",
            f"--setgid={gid or uid}",
            f"--setuid={uid}",
            "--",
            *argv,
        ]
        lines.append(f"exec {shlex.join(inner)}")
        return ["unshare", "--mount", "--propagation=private", "/bin/sh", "-c", "\n".join(lines)]

    def run(self, argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(argv),
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            **kwargs,
        )


def _buildah(*args: str) -> str:
    return subprocess.run(
        ["buildah", *args], capture_output=True, text=True, check=True, timeout=300
    ).stdout.strip()


@contextmanager
def unpacked(image: ImageArchive) -> Iterator[Unpacked]:
    """The image as it comes out of its archive (not the store's copy): what ctr imports."""
    container = _buildah("from", "--quiet", f"docker-archive:{image.archive}")
    try:
        root = Path(_buildah("mount", container))
        config = json.loads(_buildah("inspect", container))["OCIv1"]["config"]
        yield Unpacked(image, root, config)
    finally:
        subprocess.run(["buildah", "umount", container], capture_output=True, check=False)
        subprocess.run(["buildah", "rm", container], capture_output=True, check=False)


@pytest.fixture(scope="module")
def heroic() -> Iterator[Unpacked]:
    with unpacked(ensure_image("heroic")) as image:
        yield image


@pytest.fixture(scope="module")
def pause() -> Iterator[Unpacked]:
    with unpacked(ensure_image("pause")) as image:
        yield image


@pytest.fixture(scope="module")
def elasticsearch() -> Iterator[Unpacked]:
    with unpacked(ensure_image("elasticsearch")) as image:
        yield image


def _manifest(archive: Path) -> list[dict[str, Any]]:
    with tarfile.open(archive) as tar:
        member = tar.extractfile("manifest.json")
        assert member is not None
        names = set(tar.getnames())
        manifest: list[dict[str, Any]] = json.load(member)
    for entry in manifest:
        assert {entry["Config"], *entry["Layers"]} <= names
    return manifest


# --- heroic ---------------------------------------------------------------------------------


def test_heroic_archive_names_its_content_tag_for_ctr(heroic: Unpacked) -> None:
    (entry,) = _manifest(heroic.image.archive)
    assert entry["RepoTags"] == [heroic.image.ref]
    assert heroic.image.ref == PLANS["heroic"]().ref  # the tag of the sources as they are now
    assert heroic.image.size_bytes == heroic.image.archive.stat().st_size


def test_heroic_runs_as_10001_with_the_heroic_entrypoint(heroic: Unpacked) -> None:
    assert heroic.config["User"] == "10001:10001"
    assert heroic.config["Entrypoint"] == ["heroic"]
    ids = heroic.run(["sh", "-c", "id -u; id -g"])
    assert ids.stdout.split() == ["10001", "10001"], ids.stderr


def test_heroic_commands_run_on_a_read_only_root(heroic: Unpacked) -> None:
    entrypoint = heroic.config["Entrypoint"]
    version = heroic.run([*entrypoint, "--version"])
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("heroic ")
    api = heroic.run([*entrypoint, "api", "--help"])
    assert api.returncode == 0, api.stderr
    assert "usage: heroic api" in api.stdout
    probe = heroic.run(["sh", "-c", "touch /probe"])
    assert "Read-only file system" in probe.stderr  # so the runs above wrote nothing


def test_heroic_has_no_compilers(heroic: Unpacked) -> None:
    path = heroic.env()["PATH"].split(":")
    found = [
        f"{directory}/{entry.name}"
        for directory in path
        if (heroic.root / directory.lstrip("/")).is_dir()
        for entry in (heroic.root / directory.lstrip("/")).iterdir()
        if entry.name in COMPILERS or entry.name.startswith("x86_64-linux-gnu-gcc")
    ]
    assert found == []
    assert not list((heroic.root / "usr/lib/gcc").glob("*/*/cc1"))  # the compiler proper


def test_heroic_has_no_pip_caches_and_no_wheelhouse(heroic: Unpacked) -> None:
    root = heroic.root
    assert not [p for p in root.rglob(".cache") if p.is_dir()]
    assert not (root / "wheels").exists()
    assert not list((root / "mnt").iterdir())  # where the build mounted the wheelhouse
    # Only the Python's own pip and setuptools for ``python3 -m venv`` may be wheels.
    bundled = ("usr/share/python-wheels/", "ensurepip/_bundled/")
    wheels = [p.relative_to(root).as_posix() for p in root.rglob("*.whl")]
    assert [w for w in wheels if not any(b in w for b in bundled)] == []
    assert not {"PIP_NO_INDEX", "PIP_FIND_LINKS"} & set(heroic.env())  # build args stay behind


def test_heroic_is_cached_after_the_first_build(heroic: Unpacked) -> None:
    started = time.monotonic()
    again = ensure_image("heroic")
    assert time.monotonic() - started < 1.0
    assert again == heroic.image


# --- pause ----------------------------------------------------------------------------------


def test_pause_is_tiny_and_runs_as_nobody(pause: Unpacked) -> None:
    (entry,) = _manifest(pause.image.archive)
    assert entry["RepoTags"] == [pause.image.ref]
    assert pause.image.size_bytes < 2_000_000
    assert pause.config["User"] == "65535:65535"


def test_pause_holds_the_sandbox_until_sigterm(pause: Unpacked) -> None:
    proc = subprocess.Popen(
        pause.command(pause.config["Entrypoint"], pid_namespace=True),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        time.sleep(1.5)
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else b""
        # The forked child is PID 1 of the new PID namespace: it must handle SIGTERM itself.
        (child,) = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        os.kill(int(child), signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


# --- elasticsearch --------------------------------------------------------------------------


def _get(url: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    answer = httpx.request("GET" if body is None else "POST", url, json=body, timeout=5)
    answer.raise_for_status()
    result: dict[str, Any] = answer.json()
    return result


def test_elasticsearch_starts_with_settings_from_args_and_environment(
    elasticsearch: Unpacked, tmp_path: Path
) -> None:
    assert elasticsearch.config["User"] == "1000:1000"
    home = elasticsearch.env()["ES_HOME"]
    port, transport = free_port(), free_port()
    args = [
        "-Ecluster.name=image-test",
        "-Ediscovery.type=single-node",
        "-Enetwork.host=127.0.0.1",
        f"-Ehttp.port={port}",
        f"-Etransport.port={transport}",
    ]
    log = (tmp_path / "es.log").open("wb")
    proc = subprocess.Popen(
        elasticsearch.command(
            [*elasticsearch.config["Entrypoint"], *args],
            env={"node.name": "es-from-env", "ES_JAVA_OPTS": "-Xms256m -Xmx256m"},
            # emptyDirs in a pod; tmp is the image's ES_TMPDIR, not the host's /tmp
            writable=[f"{home}/data", f"{home}/logs", f"{home}/tmp"],  # noqa: S108
        ),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        info: dict[str, Any] = {}
        while not info and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "es.log").read_text()[-3000:]
            with suppress(httpx.HTTPError):
                info = _get(url)
            time.sleep(1)
        assert info["name"] == "es-from-env"
        assert info["cluster_name"] == "image-test"
        assert info["version"]["number"] == "7.10.2"
        # analysis-common is in: word_delimiter splits on case changes.
        tokens = _get(
            f"{url}/_analyze",
            {"tokenizer": "whitespace", "filter": ["word_delimiter"], "text": "PowerShot"},
        )
        assert [t["token"] for t in tokens["tokens"]] == ["Power", "Shot"]
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        log.close()
