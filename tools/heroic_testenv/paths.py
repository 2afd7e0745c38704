"""Where the test environment keeps its cache (built artifacts) and its run state.

The cache lives outside the checkout (``$TESTENV_CACHE`` or ``~/.cache/heroic-testenv``) and is
keyed by component, version and recipe hash; the run directory (``$TESTENV_RUN_DIR`` or
``.testenv/run`` in the checkout) holds certificates, configs, data, pid files and logs.
"""

from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent.parent


def cache_root() -> Path:
    """The root of the artifact cache."""
    explicit = os.environ.get("TESTENV_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "heroic-testenv"


def run_dir() -> Path:
    """The directory of the running environment's state."""
    explicit = os.environ.get("TESTENV_RUN_DIR")
    return Path(explicit) if explicit else REPO_ROOT / ".testenv" / "run"


@cache
def versions() -> dict[str, dict[str, Any]]:
    """The pins of versions.toml."""
    with (PACKAGE_DIR / "versions.toml").open("rb") as f:
        return tomllib.load(f)


def version(component: str) -> str:
    return str(versions()[component]["version"])
