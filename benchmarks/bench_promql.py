"""PromQL through ``/api/v1/query_range``: the API node against Prometheus 2.42 (Debian's, the
version the differential tests compare with), each pinned to core 0 with the same data, in the
same run (issue 17, goal 7).

Data, from a seeded generator: ``--series`` counters (``--hosts`` hosts, the rest instances),
one sample every 15 s for a day, with resets. Prometheus reads it as TSDB blocks made by
``promtool tsdb create-blocks-from openmetrics`` (its state after compaction); the API node
holds it in its memory backends, written through remote write. Both must answer the same
before anything is timed. Queries (step 60 s over the day, 1,441 steps):

* ``sum by (host) (rate(x_total[5m]))``: the issue's query;
* ``histogram-style``: ``max by (host) (increase(x_total[1h]))``, a longer window.

Figures: p50 latency of ``--queries`` sequential queries, and CPU-seconds per query of the
server process; the ratio is Prometheus' over ours (higher is better).

    .venv/bin/python benchmarks/bench_promql.py [--series 1000] [--hosts 100] [--queries 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import cramjam
import httpx
import numpy as np
from bench_write_http import ApiNode
from benchlib import SUBJECT_CORE, Result, cpu_seconds, free_port, other_cores, record

START_S = 1_700_006_400  # a UTC hour, days before any run
SPAN_S = 86_400
INTERVAL_S = 15
SEED = 20261206
QUERIES = {
    "sum-rate-5m": "sum by (host) (rate(x_total[5m]))",
    "max-increase-1h": "max by (host) (increase(x_total[1h]))",
}


def generate(series: int, hosts: int) -> tuple[np.ndarray, list[dict[str, str]], np.ndarray]:
    """(times in s, label sets, counters [series x samples]) with a reset in every series."""
    rng = np.random.default_rng(SEED)
    times = START_S + INTERVAL_S * np.arange(SPAN_S // INTERVAL_S + 1)
    counters = np.cumsum(rng.integers(0, 50, (series, len(times))), axis=1).astype(np.float64)
    for row in range(series):
        at = rng.integers(1, len(times))
        counters[row, at:] -= counters[row, at]
    labels = [{"host": f"h{i % hosts}", "instance": f"i{i}"} for i in range(series)]
    return times, labels, counters


def openmetrics(times: np.ndarray, labels: list[dict[str, str]], counters: np.ndarray) -> str:
    lines = ["# TYPE x counter"]
    stamps = [str(t) for t in times]
    for row, tags in enumerate(labels):
        prefix = "x_total{" + ",".join(f'{k}="{v}"' for k, v in tags.items()) + "} "
        lines += [f"{prefix}{v:.0f} {t}" for v, t in zip(counters[row], stamps, strict=True)]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


class Prometheus:
    """``prometheus`` over blocks built by ``promtool``, pinned to ``cores``."""

    def __init__(self, text: str, cores: set[int]) -> None:
        from heroic_testenv.prometheus import prometheus_binaries  # noqa: PLC0415

        binaries = prometheus_binaries()
        self.version = binaries.version
        self._dir = tempfile.TemporaryDirectory(prefix="heroic-bench-prom-")
        root = Path(self._dir.name)
        (root / "data.om").write_text(text)
        subprocess.run(
            [str(binaries.promtool), "tsdb", "create-blocks-from", "openmetrics", "--quiet",
             str(root / "data.om"), str(root / "tsdb")], check=True, capture_output=True,
        )  # fmt: skip
        (root / "data.om").unlink()
        (root / "prometheus.yml").write_text("global: {}\n")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(root / "prometheus.log", "wb")  # noqa: SIM115 - closed in stop
        self.process = subprocess.Popen(
            ["taskset", "-c", ",".join(map(str, sorted(cores))), str(binaries.prometheus),
             f"--config.file={root / 'prometheus.yml'}", f"--storage.tsdb.path={root / 'tsdb'}",
             "--storage.tsdb.retention.time=100y", f"--web.listen-address=127.0.0.1:{self.port}",
             "--log.level=error"],
            stdout=self._log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("prometheus did not become ready")
            time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self._log.close()
        self._dir.cleanup()


def load_ours(
    api: ApiNode, times: np.ndarray, labels: list[dict[str, str]], counters: np.ndarray
) -> None:
    from heroic_api.services.prometheus.remote_proto import WriteRequest  # noqa: PLC0415

    millis = (times * 1000).tolist()
    for first in range(0, len(labels), 50):
        request = WriteRequest()
        for row in range(first, min(first + 50, len(labels))):
            entry = request.timeseries.add()
            for name, value in sorted({"__name__": "x_total", **labels[row]}.items()):
                entry.labels.add(name=name, value=value)
            for t, v in zip(millis, counters[row].tolist(), strict=True):
                entry.samples.add(timestamp=t, value=v)
        body = bytes(cramjam.snappy.compress_raw(request.SerializeToString()))
        response = httpx.post(
            f"{api.url}/api/v1/write", content=body, timeout=300,
            headers={"Content-Type": "application/x-protobuf", "Content-Encoding": "snappy"},
        )  # fmt: skip
        if response.status_code != 204:
            raise SystemExit(f"remote write failed: {response.status_code} {response.text[:300]}")


def ask(url: str, query: str) -> dict[str, Any]:
    params = {"query": query, "start": str(START_S), "end": str(START_S + SPAN_S), "step": "60"}
    response = httpx.get(f"{url}/api/v1/query_range", params=params, timeout=300)
    response.raise_for_status()
    return response.json()["data"]


def same_answers(ours: dict[str, Any], theirs: dict[str, Any]) -> None:
    def table(data: dict[str, Any]) -> dict[str, list[tuple[float, float]]]:
        return {
            str(sorted(r["metric"].items())): [(float(t), float(v)) for t, v in r["values"]]
            for r in data["result"]
        }

    mine, peer = table(ours), table(theirs)
    if mine.keys() != peer.keys():
        raise SystemExit(f"different series: {sorted(mine)[:3]} vs {sorted(peer)[:3]}")
    for key, values in mine.items():
        a, b = np.array(values), np.array(peer[key])
        if a.shape != b.shape or not np.allclose(a, b, rtol=1e-9, atol=1e-12):
            raise SystemExit(f"different values for {key}")


def timed(url: str, query: str, count: int, pid: int) -> tuple[list[float], float]:
    """Latencies (ms) of ``count`` queries and the server's CPU-seconds per query."""
    for _ in range(2):
        ask(url, query)
    latencies = []
    cpu = cpu_seconds(pid)
    for _ in range(count):
        began = time.perf_counter()
        ask(url, query)
        latencies.append((time.perf_counter() - began) * 1000)
    return latencies, (cpu_seconds(pid) - cpu) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    os.sched_setaffinity(0, other_cores())
    times, labels, counters = generate(args.series, args.hosts)
    prometheus = Prometheus(openmetrics(times, labels, counters), {SUBJECT_CORE})
    api = ApiNode()
    try:
        load_ours(api, times, labels, counters)
        notes = {"series": args.series, "samples": counters.size, "steps": SPAN_S // 60 + 1,
                 "prometheus": prometheus.version}  # fmt: skip
        for name, query in QUERIES.items():
            same_answers(ask(api.url, query), ask(prometheus.url, query))
            ours, ours_cpu = timed(api.url, query, args.queries, api.process.pid)
            peer, peer_cpu = timed(prometheus.url, query, args.queries, prometheus.process.pid)
            record(Result("promql", f"{name} p50", "ms", [statistics.median(ours)],
                          peer="Prometheus", peer_runs=[statistics.median(peer)],
                          lower_is_better=True, notes=notes))  # fmt: skip
            record(Result("promql", f"{name} CPU per query", "ms", [ours_cpu * 1000],
                          peer="Prometheus", peer_runs=[peer_cpu * 1000],
                          lower_is_better=True, notes=notes))  # fmt: skip
    finally:
        api.stop()
        prometheus.stop()


if __name__ == "__main__":
    sys.exit(main())
