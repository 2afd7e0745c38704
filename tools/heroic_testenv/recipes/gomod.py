"""Files from a Go module on the module proxy (no build): prometheus-operator's CRDs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from heroic_testenv.procs import ComponentError
from heroic_testenv.recipes.shell import run

#: Inside github.com/prometheus-operator/prometheus-operator: the CRDs as the project ships them.
MONITORING_CRD_DIR = "example/prometheus-operator-crd"
MONITORING_CRDS = ("monitoring.coreos.com_podmonitors.yaml",)


def build_monitoring_crds(target: Path, module: str, version: str) -> None:
    """Copy the PodMonitor CRD of ``module@version`` into target/crds."""
    log = target / "build.log"
    out = run(
        "monitoring-crds",
        ["go", "mod", "download", "-json", f"{module}@{version}"],
        cwd=target,
        log=log,
    )
    source = Path(json.loads(out)["Dir"]) / MONITORING_CRD_DIR
    crds = target / "crds"
    crds.mkdir()
    for name in MONITORING_CRDS:
        if not (source / name).is_file():
            raise ComponentError("monitoring-crds", f"{name} is not in {module}@{version}", log)
        shutil.copyfile(source / name, crds / name)
