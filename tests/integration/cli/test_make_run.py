"""``make run`` (``python -m heroic_demo``), the README's main job, as a new user meets it: with
no environment variables pointing anywhere, it brings up its own control plane and Kafka (in a
run directory of its own), the HeroicCluster becomes Ready, demo points are queryable through
the node it starts, and Ctrl-C stops everything it started (exit 0, every process gone, no
Kafka client left retrying against the stopped broker)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from heroic_testenv.paths import REPO_ROOT
from heroic_testenv.procs import is_alive, pid_dir
from heroic_testenv.registry import PROVIDED_BY
from tests.integration.cli.demo_support import ctrl_c, query, reap, wait_for_output

NODE_URL = re.compile(r"starting a Heroic node on (http://127\.0\.0\.1:\d+)")


def _demo_values(url: str) -> list[float]:
    groups = query(url, 'average(1m) by host from points(10m) where $key = "cpu-usage"')
    return [v for group in groups for _, v in group["values"]]


def _latency_percentiles(url: str) -> dict[tuple[str, str], list[float]]:
    hql = 'tdigest(1m) by host from distributionPoints(10m) where $key = "request-latency"'
    return {
        (g["tags"]["host"], g["tags"]["tdigeststat"]): [v for _, v in g["values"]]
        for g in query(url, hql)
    }


def test_make_run_serves_demo_data_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    log, run = tmp_path / "run.log", tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if k not in PROVIDED_BY.values()}
    env["TESTENV_RUN_DIR"] = str(run)
    # The local mode (kwok plays the kubelet); test_make_run_real.py covers real pods, which
    # a second run directory could not have (one real node per machine).
    env["HEROIC_RUN_MODE"] = "local"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "heroic_demo"], cwd=REPO_ROOT, env=env, stdout=out, stderr=out
        )
    try:
        url = wait_for_output(log, NODE_URL, proc)
        assert "HeroicCluster memory is Ready" in log.read_text()
        deadline = time.monotonic() + 90
        values: list[float] = []
        while time.monotonic() < deadline and not values:
            with contextlib.suppress(httpx.TransportError):
                values = _demo_values(url)
            time.sleep(1)
        assert values, log.read_text()[-3000:]
        assert all(10 <= v <= 90 for v in values)  # the demo's waves run 50 +- 40
        stats = _latency_percentiles(url)
        assert {stat for _, stat in stats} == {"P50", "P75", "P99"}, stats
        for host, median in (("web-1", 20.0), ("web-2", 40.0), ("db-1", 60.0)):
            # lognormal(sigma 0.5) latencies around each host's median; P99 ~ 3.2 x median
            assert all(0.8 * median < v < 1.25 * median for v in stats[(host, "P50")])
            assert all(p99 > p50 for p99, p50 in zip(
                stats[(host, "P99")], stats[(host, "P50")], strict=True
            ))  # fmt: skip
        consumers = httpx.get(f"{url}/status", timeout=10).json()["consumers"]
        assert consumers["consumingThreads"] == 1
        ctrl_c(proc)
    finally:
        reap(proc)
    text = log.read_text(errors="replace")
    assert "mode: local processes" in text
    after_stop = text[text.index("[run] stopping") :]
    assert "[run] stopped" in after_stop
    assert "rdkafka" not in after_stop, after_stop[-2000:]
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/status", timeout=2)
    pids = {f.stem: int(f.read_text()) for f in pid_dir(run).glob("*.pid")}
    assert not {name for name, pid in pids.items() if is_alive(pid)}
