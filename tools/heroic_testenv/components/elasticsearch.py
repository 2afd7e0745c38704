"""Elasticsearch 7.10 (the integ-test distribution plus analysis-common) on loopback.

Elasticsearch refuses to run as root, so it runs as an unprivileged user (created once) from a
copy of the distribution in a directory that user can reach; the copy is removed on ``down``.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from heroic_testenv.components.base import http_json
from heroic_testenv.components.jvm import java_home
from heroic_testenv.paths import version
from heroic_testenv.procs import free_port, log_path, spawn, wait_until

USER = "heroic-testenv"


def _ensure_user() -> str | None:
    """The user to run as: ourselves unless root, then a system user made for the purpose."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER],
            check=True,
            capture_output=True,
        )
    return USER


def _chown_tree(path: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
    os.chown(path, entry.pw_uid, entry.pw_gid)


class Elasticsearch:
    """Exports ELASTICSEARCH_URL."""

    name = "elasticsearch"
    artifacts = ("elasticsearch",)
    processes = ("elasticsearch",)

    def start(self, run: Path, artifacts: Mapping[str, Path]) -> dict[str, str]:
        user = _ensure_user()
        digest = hashlib.sha256(str(run).encode()).hexdigest()[:10]
        base = Path("/tmp") / f"heroic-testenv-es-{digest}"  # noqa: S108
        if base.exists():
            shutil.rmtree(base)
        home = base / "home"
        shutil.copytree(
            artifacts["elasticsearch"] / f"elasticsearch-{version('elasticsearch')}",
            home,
            symlinks=True,
        )
        for sub in ("data", "logs", "tmp"):
            (base / sub).mkdir()
        _chown_tree(base, user)
        base.chmod(0o755)
        (run / "elasticsearch").mkdir(parents=True, exist_ok=True)
        (run / "elasticsearch" / "home").write_text(str(base))
        port, transport = free_port(), free_port()
        proc = spawn(
            run,
            "elasticsearch",
            [
                str(home / "bin" / "elasticsearch"),
                "-Ediscovery.type=single-node",
                "-Enetwork.host=127.0.0.1",
                f"-Ehttp.port={port}",
                f"-Etransport.port={transport}",
                f"-Epath.data={base / 'data'}",
                f"-Epath.logs={base / 'logs'}",
                "-Ecluster.name=heroic-testenv",
                "-Enode.name=es-0",
                "-Ecluster.routing.allocation.disk.threshold_enabled=false",
                "-Eaction.auto_create_index=true",
            ],
            env={
                "JAVA_HOME": str(java_home()),
                "ES_JAVA_HOME": str(java_home()),
                "ES_TMPDIR": str(base / "tmp"),
                "ES_JAVA_OPTS": "-Xms512m -Xmx512m -XX:TieredStopAtLevel=1",
            },
            user=user,
            cwd=base,
        )
        url = f"http://127.0.0.1:{port}"
        wait_until(
            "elasticsearch",
            lambda: http_json(f"{url}/_cluster/health")["status"] in ("green", "yellow"),
            timeout=180,
            proc=proc,
            log=log_path(run, "elasticsearch"),
            interval=1.0,
        )
        return {"ELASTICSEARCH_URL": url}

    def healthy(self, env: Mapping[str, str]) -> bool:
        url = env.get("ELASTICSEARCH_URL")
        try:
            return bool(url) and http_json(f"{url}/_cluster/health")["status"] != "red"
        except Exception:  # noqa: BLE001 - not answering means not healthy
            return False

    @staticmethod
    def cleanup(run: Path) -> None:
        marker = run / "elasticsearch" / "home"
        if marker.exists():
            shutil.rmtree(marker.read_text().strip(), ignore_errors=True)
            marker.unlink()
