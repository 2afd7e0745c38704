"""The whole path on kind: image, chart, HeroicCluster, then points written and queried back.

Runs only where `kind` is installed and a Docker engine answers (the `kind` marker skips it
elsewhere, saying why). Uses pytest-kind's cluster, loads the image built by `make image`.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.support import CHART, REPO_ROOT, condition, example, wait_for

pytestmark = pytest.mark.kind
IMAGE = os.environ.get("HEROIC_E2E_IMAGE", "heroic:e2e")


@pytest.fixture(scope="module")
def kind_cluster() -> Iterator[object]:
    from pytest_kind import KindCluster  # noqa: PLC0415 - only where kind runs

    subprocess.run(
        ["docker", "build", "-f", str(REPO_ROOT / "Containerfile"), "-t", IMAGE, str(REPO_ROOT)],
        check=True,
    )
    cluster = KindCluster("heroic-e2e")
    cluster.create()
    cluster.load_docker_image(IMAGE)
    try:
        yield cluster
    finally:
        cluster.delete()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_points_written_through_the_api_node_are_queried_back(
    kind_cluster: object, tmp_path: Path
) -> None:
    kubeconfig = str(kind_cluster.kubeconfig_path)  # type: ignore[attr-defined]
    env = {**os.environ, "KUBECONFIG": kubeconfig}
    repository, tag = IMAGE.rsplit(":", 1)
    subprocess.run(
        [
            "helm",
            "install",
            "heroic",
            str(CHART),
            "--namespace",
            "heroic",
            "--create-namespace",
            "--set",
            f"image.repository={repository}",
            "--set",
            f"image.tag={tag}",
            "--set",
            "image.pullPolicy=Never",
            "--wait",
        ],
        check=True,
        env=env,
    )
    cluster = example("memory.yaml", image=IMAGE)
    name = cluster["metadata"]["name"]
    subprocess.run(
        ["kubectl", "apply", "-n", "heroic", "-f", "-"],
        input=json.dumps(cluster),
        text=True,
        check=True,
        env=env,
    )

    def ready() -> bool:
        out = subprocess.run(
            ["kubectl", "get", "heroiccluster", name, "-n", "heroic", "-o", "json"],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
        cond = condition(json.loads(out.stdout or "{}"), "Ready")
        return cond is not None and cond["status"] == "True"

    wait_for("HeroicCluster Ready on kind", ready, timeout=600)
    port = _free_port()
    forward = subprocess.Popen(
        ["kubectl", "port-forward", "-n", "heroic", f"service/{name}-heroic-api", f"{port}:8080"],
        env=env,
    )
    try:
        time.sleep(3)
        base = f"http://127.0.0.1:{port}"
        now = int(time.time() * 1000) - 60_000
        series = {"key": "e2e", "tags": {"host": "kind"}}
        points = [[now - i * 10_000, float(i)] for i in range(6)]
        write = httpx.post(
            f"{base}/write", json={"series": series, "data": {"type": "points", "data": points}}
        )
        assert write.status_code == 200
        query = httpx.post(
            f"{base}/query/metrics",
            headers={"x-client-id": "e2e"},
            json={
                "range": {"type": "relative", "unit": "MINUTES", "value": 10},
                "filter": ["key", "e2e"],
            },
        )
        assert query.status_code == 200
        values = sorted(v for group in query.json()["result"] for _, v in group["values"])
        assert values == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    finally:
        forward.terminate()
