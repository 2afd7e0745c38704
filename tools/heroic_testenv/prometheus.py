"""Where the cached Prometheus artifact's programs are (``prometheus`` and ``promtool``), for the
tests that compare our PromQL answers with Prometheus'. Must not start anything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from heroic_testenv.builds import artifact
from heroic_testenv.paths import version


@dataclass(frozen=True)
class PrometheusBinaries:
    """The two programs of Debian's ``prometheus`` package, and the pinned version."""

    prometheus: Path
    promtool: Path
    version: str


def prometheus_binaries() -> PrometheusBinaries:
    """The unpacked ``prometheus`` and ``promtool``, fetched into the cache first if needed."""
    bin_dir = artifact("prometheus") / "root" / "usr" / "bin"
    return PrometheusBinaries(bin_dir / "prometheus", bin_dir / "promtool", version("prometheus"))
