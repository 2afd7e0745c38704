"""One single-node search engine (Elasticsearch or OpenSearch) from an unpacked distribution.

Both engines refuse to run as root, so a node runs as an unprivileged user (created once) from
a copy of the distribution in a directory that user can reach; the copy is removed on ``down``.
Subclasses say which distribution, JDK and settings; this module knows nothing of security
beyond the hooks a secured node overrides.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import ssl
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from heroic_testenv.components.base import http_json
from heroic_testenv.paths import version
from heroic_testenv.procs import free_port, log_path, spawn, wait_until

USER = "heroic-testenv"


def ensure_user() -> str | None:
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


def chown_tree(path: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid)
    os.chown(path, entry.pw_uid, entry.pw_gid)


class SearchNode:
    """A node of ``product`` (``elasticsearch`` or ``opensearch``) exporting ``url_variable``."""

    name: str
    product: str
    url_variable: str
    java_home: Callable[[], Path]

    @property
    def artifacts(self) -> tuple[str, ...]:
        return (self.name,)

    @property
    def processes(self) -> tuple[str, ...]:
        return (self.name,)

    def _env_prefix(self) -> str:
        return "ES" if self.product == "elasticsearch" else "OPENSEARCH"

    def settings(self, base: Path, home: Path) -> dict[str, str]:
        """``-E`` settings beyond the loopback single-node ones every node gets."""
        del base, home
        return {}

    def prepare(self, home: Path, run: Path) -> dict[str, str]:
        """Work on the copied home before the node starts (as root); returns variables."""
        del home, run
        return {}

    def finish(self, url: str, env: dict[str, str]) -> dict[str, str]:
        """Work against the started node; returns what it adds to the exported variables."""
        del url, env
        return {}

    def request_options(self, env: Mapping[str, str]) -> dict[str, Any]:
        """``http_json`` keyword arguments (TLS context, credentials) to reach the node."""
        del env
        return {}

    def scheme(self) -> str:
        return "http"

    def start(self, run: Path, artifacts: Mapping[str, Path]) -> dict[str, str]:
        user = ensure_user()
        digest = hashlib.sha256(f"{run}/{self.name}".encode()).hexdigest()[:10]
        base = Path("/tmp") / f"heroic-testenv-{self.name}-{digest}"  # noqa: S108
        if base.exists():
            shutil.rmtree(base)
        home = base / "home"
        unpacked = f"{self.product}-{version(self.name)}"
        shutil.copytree(artifacts[self.name] / unpacked, home, symlinks=True)
        for sub in ("data", "logs", "tmp"):
            (base / sub).mkdir()
        (run / self.name).mkdir(parents=True, exist_ok=True)
        (run / self.name / "home").write_text(str(base))
        java = str(self.java_home())
        prefix = self._env_prefix()
        process_env = {
            "JAVA_HOME": java,
            f"{prefix}_JAVA_HOME": java,
            f"{prefix}_TMPDIR": str(base / "tmp"),
            f"{prefix}_JAVA_OPTS": "-Xms512m -Xmx512m -XX:TieredStopAtLevel=1",
        }
        env = self.prepare(home, run)
        chown_tree(base, user)
        base.chmod(0o755)
        port, transport = free_port(), free_port()
        settings = {
            "discovery.type": "single-node",
            "network.host": "127.0.0.1",
            "http.port": str(port),
            "transport.port": str(transport),
            "path.data": str(base / "data"),
            "path.logs": str(base / "logs"),
            "cluster.name": f"heroic-testenv-{self.name}",
            "node.name": f"{self.name}-0",
            "cluster.routing.allocation.disk.threshold_enabled": "false",
            "action.auto_create_index": "true",
            # tests clean up their indices by pattern (refused by default since 8.0)
            "action.destructive_requires_name": "false",
            **self.settings(base, home),
        }
        proc = spawn(
            run,
            self.name,
            [str(home / "bin" / self.product), *(f"-E{k}={v}" for k, v in settings.items())],
            env=process_env,
            user=user,
            cwd=base,
        )
        env[self.url_variable] = f"{self.scheme()}://127.0.0.1:{port}"
        wait_until(
            self.name,
            lambda: self._status(env) in ("green", "yellow"),
            timeout=240,
            proc=proc,
            log=log_path(run, self.name),
            interval=1.0,
        )
        return env | self.finish(env[self.url_variable], env)

    def _status(self, env: Mapping[str, str]) -> str:
        url = env[self.url_variable]
        return str(http_json(f"{url}/_cluster/health", **self.request_options(env))["status"])

    def healthy(self, env: Mapping[str, str]) -> bool:
        try:
            return bool(env.get(self.url_variable)) and self._status(env) != "red"
        except Exception:  # noqa: BLE001 - not answering means not healthy
            return False

    def cleanup(self, run: Path) -> None:
        marker = run / self.name / "home"
        if marker.exists():
            shutil.rmtree(marker.read_text().strip(), ignore_errors=True)
            marker.unlink()


def tls_context(ca_file: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_file)
