"""Running the build tools (go, mvn, npm) with output kept in a build log."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from heroic_testenv.procs import ComponentError


def run(
    component: str,
    argv: Sequence[str],
    *,
    cwd: Path,
    log: Path,
    env: Mapping[str, str] | None = None,
) -> str:
    """Run a build command; on failure raise naming the component, with the log's tail."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a") as out:
        out.write(f"$ {' '.join(argv)}\n")
        out.flush()
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=out,
            text=True,
            check=False,
        )
        out.write(proc.stdout)
    if proc.returncode != 0:
        raise ComponentError(component, f"build step failed: {' '.join(argv[:3])} ...", log)
    return proc.stdout
