"""``kubectl`` against the test environment's API server, for the dry-run and install tests.

Reads ``$KUBECTL`` and ``$KUBECONFIG`` at call time. It must only be used by tests marked
``kubernetes``; rendering tests never reach a cluster.
"""

from __future__ import annotations

import os
import subprocess

import pytest


def kubectl(
    *args: str, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run ``$KUBECTL``; with ``check``, a failure fails the test with kubectl's message."""
    proc = subprocess.run(
        [os.environ["KUBECTL"], *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    if check and proc.returncode != 0:
        pytest.fail(f"kubectl {' '.join(args)}: {proc.stderr}", pytrace=False)
    return proc


def helm(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``$HELM`` against the cluster; with ``check``, a failure fails the test."""
    proc = subprocess.run(
        [os.environ["HELM"], *args], capture_output=True, text=True, check=False, timeout=300
    )
    if check and proc.returncode != 0:
        pytest.fail(f"helm {' '.join(args)}: {proc.stderr}", pytrace=False)
    return proc


def dry_run_apply(manifests: str, namespace: str | None = None) -> subprocess.CompletedProcess[str]:
    """Server-side apply in dry-run mode, as helm 4 applies: admission and validation run,
    nothing is stored. ``namespace`` is for manifests that name none (the chart's all do)."""
    args = ["apply", "--server-side", "--dry-run=server", "--field-manager=helm-tests"]
    if namespace:
        args += ["--namespace", namespace]
    return kubectl(*args, "-f", "-", stdin=manifests, check=False)
