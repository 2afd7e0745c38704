"""``make run`` on real pods (root on Linux): the demo's operator, API and consumer run as
containers of our image on the test environment's real node; demo points and t-digests come back
through the port-forward it prints; Ctrl-C removes what it put into the cluster.

It runs against this session's test environment (the variables the fixtures export), as a user
with a test environment already up in another shell would: the demo reuses what runs."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from heroic_demo.demo import NAMESPACE
from heroic_demo.realpods import unavailable
from heroic_testenv.paths import REPO_ROOT
from tests.e2e.support import kubectl_json
from tests.integration.cli.demo_support import ctrl_c, query, reap, wait_for_output

pytestmark = [
    pytest.mark.kubernetes,
    pytest.mark.node,
    pytest.mark.kafka,
    pytest.mark.bigtable,
    pytest.mark.elasticsearch,
    pytest.mark.helm,
]
API_URL = re.compile(r"the API pod answers on (http://127\.0\.0\.1:\d+)")


def test_make_run_on_real_pods(tmp_path: Path) -> None:
    reason = unavailable()
    if reason:
        pytest.skip(f"real pods need root on Linux ({reason})")
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "heroic_demo"], cwd=REPO_ROOT, stdout=out, stderr=out
        )
    try:
        url = wait_for_output(log, API_URL, proc, timeout=600)  # may build the image
        assert "mode: real pods" in log.read_text()
        pods = kubectl_json("get", "pods", "-n", NAMESPACE)["items"]
        running = {p["metadata"]["labels"].get("app.kubernetes.io/component") for p in pods
                   if p["status"].get("phase") == "Running"}  # fmt: skip
        assert {"operator", "api", "consumer-demo"} <= running, running
        assert {p["spec"]["nodeName"] for p in pods} == {os.environ["TESTENV_NODE"]}
        deadline = time.monotonic() + 120
        groups: list[dict[str, Any]] = []
        while time.monotonic() < deadline and not groups:
            with contextlib.suppress(httpx.TransportError):
                groups = query(url, 'average(1m) by host from points(10m) where $key = "cpu-usage"')
            time.sleep(2)
        assert {g["tags"]["host"] for g in groups} == {"web-1", "web-2", "db-1"}
        stats = query(
            url, 'tdigest(1m) by host from distributionPoints(10m) where $key = "request-latency"'
        )
        assert {g["tags"]["tdigeststat"] for g in stats} == {"P50", "P75", "P99"}
        ctrl_c(proc)
    finally:
        reap(proc)
    text = log.read_text(errors="replace")
    assert "[run] stopped" in text
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/status", timeout=2)
    # what the demo put into the cluster goes: its namespace is terminating or gone
    gone = subprocess.run(
        [os.environ["KUBECTL"], "get", "namespace", NAMESPACE, "-o", "jsonpath={.status.phase}"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert gone.returncode != 0 or gone.stdout == "Terminating", gone.stdout
