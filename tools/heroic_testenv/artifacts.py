"""Cache entries for built or fetched components: one directory per component, version and recipe.

An entry is complete once its ``.complete`` marker exists; it is built under an exclusive
``flock`` so that two shells never build the same thing at once, and a failed build leaves no
marker behind, so the next run starts it again.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

from heroic_testenv.paths import cache_root


def entry_dir(component: str, version: str, inputs: list[Path]) -> Path:
    """The cache directory for ``component`` at ``version`` built from the files ``inputs``."""
    digest = hashlib.sha256(version.encode())
    for path in inputs:
        digest.update(path.read_bytes())
    return cache_root() / component / f"{version}-{digest.hexdigest()[:10]}"


def ensure(component: str, target: Path, build: Callable[[Path], None]) -> Path:
    """Return ``target``, building it with ``build(target)`` first unless already complete."""
    marker = target / ".complete"
    if marker.exists():
        return target
    locks = cache_root() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with (locks / f"{component}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return target
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        started = time.monotonic()
        print(f"[testenv] building {component} into {target} ...", file=sys.stderr, flush=True)
        build(target)
        marker.write_text(f"{time.monotonic() - started:.1f}\n")
        print(
            f"[testenv] built {component} in {time.monotonic() - started:.0f}s",
            file=sys.stderr,
            flush=True,
        )
    return target
