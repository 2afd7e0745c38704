"""helm and kubectl: binaries only, nothing to run."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path


class Helm:
    """Exports HELM and KUBECTL (paths of the binaries)."""

    name = "helm"
    artifacts = ("helm",)
    processes: tuple[str, ...] = ()

    def start(self, run: Path, artifacts: Mapping[str, Path]) -> dict[str, str]:
        del run
        bin_dir = artifacts["helm"] / "bin"
        return {"HELM": str(bin_dir / "helm"), "KUBECTL": str(bin_dir / "kubectl")}

    def healthy(self, env: Mapping[str, str]) -> bool:
        return all(Path(env.get(k, "/nonexistent")).exists() for k in ("HELM", "KUBECTL"))
