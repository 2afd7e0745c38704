"""Wait until CustomResourceDefinitions are Established, with the environment's kubectl.

``kubectl wait --for=condition=Established`` fails at once ("accessor error: <nil>") when it
reads a CRD whose ``status.conditions`` is still null, which a just-created CRD briefly has;
this polls instead. Used by the tests and the demo; stdlib only.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence

ESTABLISHED = '{.status.conditions[?(@.type=="Established")].status}'


def wait_established(
    names: Sequence[str],
    *,
    kubectl: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> float:
    """Poll until every CRD in ``names`` is Established; returns the seconds it took.

    Raises ``TimeoutError`` naming the CRDs still pending and kubectl's last message."""
    binary = kubectl or os.environ["KUBECTL"]
    full_env = {**os.environ, **(env or {})}
    started = time.monotonic()
    pending = list(names)
    last = ""
    while True:
        still: list[str] = []
        for name in pending:
            proc = subprocess.run(
                [binary, "get", "crd", name, "-o", f"jsonpath={ESTABLISHED}"],
                capture_output=True,
                text=True,
                env=full_env,
                check=False,
                timeout=30,
            )
            if proc.returncode != 0 or proc.stdout.strip() != "True":
                still.append(name)
                last = proc.stderr.strip() or f"{name}: Established={proc.stdout.strip() or '?'}"
        pending = still
        elapsed = time.monotonic() - started
        if not pending:
            return elapsed
        if elapsed > timeout:
            raise TimeoutError(
                f"CRDs not Established after {timeout:.0f}s: {', '.join(pending)} ({last})"
            )
        time.sleep(0.5)
