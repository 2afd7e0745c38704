"""Helpers of the end-to-end tests: helm and kubectl calls, waiting, a local operator process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHART = REPO_ROOT / "charts" / "heroic"
EXAMPLES = REPO_ROOT / "examples"
HEROIC = str(Path(sys.executable).with_name("heroic"))


def run(argv: Sequence[str], *, stdin: str | None = None, env: dict[str, str] | None = None) -> str:
    """Run a command; fail the test with its stderr if it fails."""
    proc = subprocess.run(
        list(argv),
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=300,
    )
    if proc.returncode != 0:
        pytest.fail(f"{' '.join(argv[:4])} ... exited {proc.returncode}: {proc.stderr[-2000:]}")
    return proc.stdout


def kubectl(*args: str, stdin: str | None = None, kubeconfig: str | None = None) -> str:
    env = {"KUBECONFIG": kubeconfig} if kubeconfig else None
    return run([os.environ["KUBECTL"], *args], stdin=stdin, env=env)


def kubectl_json(*args: str, kubeconfig: str | None = None) -> Any:
    return json.loads(kubectl(*args, "-o", "json", kubeconfig=kubeconfig))


def helm(*args: str, kubeconfig: str | None = None) -> str:
    env = {"KUBECONFIG": kubeconfig} if kubeconfig else None
    return run([os.environ["HELM"], *args], env=env)


CRD = REPO_ROOT / "crds" / "heroicclusters.heroic.dev.yaml"


def install_chart(release: str, namespace: str, *options: str) -> None:
    """``helm install`` of the chart with the CRD left to crds/: the CRD is cluster-wide and
    shared with the other suites on the cluster, so it is applied from there rather than owned
    by one release (the chart's own CRD install, upgrade and keep-on-uninstall are covered by
    helm-tests/test_chart_lifecycle.py on a private group)."""
    from heroic_testenv.crds import wait_established  # noqa: PLC0415

    kubectl(
        "apply", "--server-side", "--force-conflicts", "--field-manager=heroic-e2e", "-f", str(CRD)
    )
    wait_established(["heroicclusters.heroic.dev"])
    helm("install", release, str(CHART), "--namespace", namespace, "--set", "crds.install=false",
         *options)  # fmt: skip


def wait_for(
    what: str,
    check: Callable[[], bool],
    timeout: float = 120.0,
    process: subprocess.Popen[bytes] | None = None,
    log: Path | None = None,
) -> float:
    """Poll until ``check()``; returns the seconds it took, fails the test on timeout.

    With ``process``, fails as soon as that process exits, showing the end of ``log``.
    """
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if process is not None and process.poll() is not None:
            tail = log.read_text()[-3000:] if log else ""
            pytest.fail(f"process exited ({process.returncode}) while waiting for {what}:\n{tail}")
        if check():
            return time.monotonic() - started
        time.sleep(1)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def condition(obj: dict[str, Any], kind: str) -> dict[str, Any] | None:
    for cond in obj.get("status", {}).get("conditions", []) or []:
        if cond.get("type") == kind:
            return dict(cond)
    return None


def example(name: str, image: str | None = None) -> dict[str, Any]:
    """An example HeroicCluster manifest, optionally with another image."""
    doc: dict[str, Any] = yaml.safe_load((EXAMPLES / name).read_text())
    if image:
        doc["spec"]["image"] = image
    return doc


def service_account_kubeconfig(namespace: str, account: str, path: Path) -> Path:
    """A kubeconfig that authenticates as a ServiceAccount (a TokenRequest token)."""
    token = kubectl("create", "token", account, "-n", namespace, "--duration=1h").strip()
    config = yaml.safe_load(Path(os.environ["KUBECONFIG"]).read_text())
    config["users"] = [{"name": account, "user": {"token": token}}]
    for context in config["contexts"]:
        context["context"]["user"] = account
    path.write_text(yaml.safe_dump(config))
    return path


@contextmanager
def local_process(
    argv: Sequence[str], log: Path, env: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` for the duration of the block; its output goes to ``log``."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            list(argv), stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )
    try:
        yield proc
        if proc.poll() is not None:
            pytest.fail(f"{argv[0]} exited early ({proc.returncode}):\n{log.read_text()[-3000:]}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
