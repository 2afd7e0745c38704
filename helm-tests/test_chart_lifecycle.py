"""A real install, upgrade and uninstall: the CRD upgrades with the release and both it and the
HeroicCluster from values outlive the release.

Installs a copy of the chart whose CRD is renamed to a private API group, so the shared
heroicclusters.heroic.dev CRD of the test cluster is never touched (a release owning it would
block every later install); the private CRD is deleted afterwards.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helm_utils import CHART_DIR
from kube_utils import helm, kubectl

from heroic_operator import naming

pytestmark = [pytest.mark.helm, pytest.mark.kubernetes]


def _crd_file(chart: Path) -> Path:
    (path,) = (chart / "files" / "crds").glob("*.yaml")
    return path


def _edit_crd(chart: Path, change: dict[str, Any]) -> None:
    path = _crd_file(chart)
    crd = yaml.safe_load(path.read_text())
    crd["spec"].update(change)
    path.write_text(yaml.safe_dump(crd))


@pytest.fixture
def private_chart(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A copy of the chart whose CRD serves a private group; yields (chart, CRD name)."""
    chart = tmp_path / "heroic"
    shutil.copytree(CHART_DIR, chart)
    group = f"h{uuid.uuid4().hex[:8]}.helm-tests.dev"
    name = f"{naming.PLURAL}.{group}"
    path = _crd_file(chart)
    crd = yaml.safe_load(path.read_text())
    crd["metadata"]["name"] = name
    crd["spec"]["group"] = group
    path.write_text(yaml.safe_dump(crd))
    yield chart, name
    kubectl("delete", "crd", name, "--ignore-not-found", "--wait=false", check=False)


def _get(resource: str, namespace: str | None = None) -> dict[str, Any]:
    args = ["get", resource, "-o", "json"] + (["-n", namespace] if namespace else [])
    result: dict[str, Any] = json.loads(kubectl(*args).stdout)
    return result


def test_crd_upgrades_with_the_release_and_outlives_it_with_the_cluster(
    private_chart: tuple[Path, str], namespace: str
) -> None:
    chart, crd_name = private_chart
    cluster = f"{crd_name}/demo"
    release = f"life-{uuid.uuid4().hex[:6]}"
    common = [
        "-n",
        namespace,
        "--set",
        "heroicCluster.enabled=true",
        "--set",
        "heroicCluster.name=demo",
    ]

    # --wait: helm runs the post-install hook that creates the HeroicCluster only once the new
    # CRD is Established; without it the hook can race the CRD's discovery (docs/helm.md).
    helm("install", release, str(chart), *common, "--wait", "--timeout=120s")
    first = _get(cluster, namespace)
    assert first["spec"]["image"] == "ghcr.io/heroic-on-kubernetes/heroic:0.1.0"

    columns = _get(f"crd/{crd_name}")["spec"]["versions"][0].get("additionalPrinterColumns", [])
    marker = {"name": "Marker", "type": "string", "jsonPath": ".spec.image", "priority": 1}
    _edit_crd(chart, {"versions": [
        {**v, "additionalPrinterColumns": [*v.get("additionalPrinterColumns", []), marker]}
        for v in yaml.safe_load(_crd_file(chart).read_text())["spec"]["versions"]
    ]})  # fmt: skip
    helm("upgrade", release, str(chart), *common, "--set", "heroicCluster.spec.api.replicas=3")

    upgraded_columns = _get(f"crd/{crd_name}")["spec"]["versions"][0]["additionalPrinterColumns"]
    assert [c["name"] for c in upgraded_columns] == [*(c["name"] for c in columns), "Marker"]
    second = _get(cluster, namespace)
    assert second["metadata"]["uid"] == first["metadata"]["uid"], "upgrade recreated the cluster"
    assert second["spec"]["api"]["replicas"] == 3

    helm("upgrade", release, str(chart), *common, "--set", "heroicCluster.spec.api.replicas=3")
    assert _get(cluster, namespace)["metadata"]["uid"] == first["metadata"]["uid"]

    out = helm("uninstall", release, "-n", namespace).stdout
    assert crd_name in out
    assert _get(f"crd/{crd_name}")["metadata"]["name"] == crd_name
    assert _get(cluster, namespace)["metadata"]["uid"] == first["metadata"]["uid"]
    deployments = kubectl("get", "deployments", "-n", namespace, "-o", "name").stdout
    assert deployments.strip() == "", "the operator Deployment should go with the release"
