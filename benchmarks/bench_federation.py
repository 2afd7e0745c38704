"""Benchmark: the overhead of federation, a three-shard fan-out against one node holding the
same data, measured in the same run.

Four ``heroic api`` processes on memory backends: ``single`` holds every series; ``a``, ``b``
and ``c`` each hold a third of them (shard tags ``site``) and federate over a static list with
the node-protocol token. The same queries go to ``single`` and through ``a`` (which answers its
own shard in process and asks ``b`` and ``c`` over HTTP); the answers are checked to hold the
same series and values first. Prints median latencies and the ratio federated/single (lower is
better; 1.0 would be free), plus the distributed form of the grouped query.

Run: ``.venv/bin/python benchmarks/bench_federation.py [--series N] [--requests R]``
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import yaml
from benchlib import Result, free_port, record

HEROIC = str(Path(sys.executable).with_name("heroic"))
TOKEN = "bench-node-token"  # noqa: S105 - a throwaway token for processes of this run
DAY = 86_400_000
STEP = 60_000
START = 1_700_006_400_000 - 1_700_006_400_000 % DAY
END = START + DAY
HEADERS = {"x-client-id": "bench"}
SITES = ("a", "b", "c")


def _memory() -> dict[str, Any]:
    return {kind: {"backends": [{"type": "memory"}]} for kind in ("metrics", "metadata", "suggest")}


def _start(tmp: Path, name: str, port: int, config: dict[str, Any]) -> subprocess.Popen[bytes]:
    path = tmp / f"{name}.yml"
    path.write_text(yaml.safe_dump(config))
    log = (tmp / f"{name}.log").open("wb")
    return subprocess.Popen(
        [HEROIC, "api", "--config", str(path), "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "WARNING"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip


def _wait(url: str) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")


def _write(client: httpx.Client, url: str, host: str, site: str) -> None:
    rng = np.random.default_rng(abs(hash(host)) % 2**32)
    ts = START + STEP * np.arange(1, DAY // STEP + 1)
    values = rng.uniform(0, 100, ts.shape[0])
    body = {
        "series": {"key": "system.cpu", "tags": {"host": host, "site": site}},
        "data": {
            "type": "points",
            "data": [[int(t), float(v)] for t, v in zip(ts, values, strict=True)],
        },
    }
    client.post(f"{url}/write", json=body).raise_for_status()


def _latencies(client: httpx.Client, url: str, body: dict[str, Any], n: int) -> list[float]:
    for _ in range(5):
        client.post(f"{url}/query/metrics", json=body).raise_for_status()
    out = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.post(f"{url}/query/metrics", json=body)
        response.raise_for_status()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _rows(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((sorted(g["tags"].items()), [tuple(v) for v in g["values"]])
                  for g in answer["result"])  # fmt: skip


def run(tmp: Path, series: int, requests: int) -> None:
    token = tmp / "token"
    token.write_text(TOKEN)
    ports = {name: free_port() for name in ("single", *SITES)}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    cluster = {
        "discovery": {"type": "static", "nodes": [urls[s] for s in SITES]},
        "protocols": [{"type": "http", "tokenFile": str(token)}],
    }
    procs = [_start(tmp, "single", ports["single"], _memory())]
    for site in SITES:
        config = {**_memory(), "cluster": {"tags": {"site": site}, **cluster}}
        procs.append(_start(tmp, site, ports[site], config))
    try:
        for url in urls.values():
            _wait(url)
        with httpx.Client(headers=HEADERS, timeout=120) as client:
            for i in range(series):
                site = SITES[i % 3]
                for target in ("single", site):
                    _write(client, urls[target], f"host-{i:03d}", site)
            status = client.post(f"{urls['a']}/cluster/refresh").json()
            if len(status["nodes"]) != 3:
                raise RuntimeError(f"node a does not see the three shards: {status}")
            _compare(client, urls, series, requests)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(30)


def _compare(client: httpx.Client, urls: dict[str, str], series: int, requests: int) -> None:
    base = {"range": {"type": "absolute", "start": START, "end": END},
            "filter": ["key", "system.cpu"]}  # fmt: skip
    by_host = {"type": "group", "of": ["host"], "each": {"type": "average", "size": "5m"}}
    queries = {
        "raw 1h": {**base, "range": {"type": "absolute", "start": END - 3_600_000, "end": END}},
        "average(5m) by host": {**base, "aggregation": by_host},
        "sum(5m)": {**base, "aggregation": {"type": "group", "of": [],
                                            "each": {"type": "sum", "size": "5m"}}},
    }  # fmt: skip
    print(f"{series} series of one day at 1-minute resolution, {requests} requests per case")
    for name, body in queries.items():
        single = client.post(f"{urls['single']}/query/metrics", json=body).json()
        federated = client.post(f"{urls['a']}/query/metrics", json=body).json()
        if federated["errors"]:
            raise RuntimeError(f"{name}: {federated['errors']}")
        # one group per host: the same series and values through either
        if name != "sum(5m)" and _rows(single) != _rows(federated):
            raise RuntimeError(f"{name}: the federated answer differs from the single node's")
        cases = {"single node": body, "3 shards": body}
        if name == "sum(5m)":
            cases["3 shards, distributed"] = {
                **body,
                "features": ["com.spotify.heroic.distributed_aggregations"],
            }
        runs = {}
        for case, case_body in cases.items():
            url = urls["single"] if case == "single node" else urls["a"]
            runs[case] = _latencies(client, url, case_body, requests)
        single_p50 = statistics.median(runs.pop("single node"))
        print(f"  {name:<22} single node              p50 {single_p50:8.2f} ms")
        for case, latencies in runs.items():
            overhead = statistics.median(latencies) / single_p50
            print(f"  {name:<22} {case:<24} p50 {statistics.median(latencies):8.2f} ms"
                  f"   x{overhead:5.2f} of single")  # fmt: skip
            record(Result("federation", f"{name}: {case}", "ms p50", latencies,
                          peer="single node", peer_runs=[single_p50], lower_is_better=True,
                          notes={"federated_over_single": round(overhead, 3)}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=60)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    os.environ.setdefault("HEROIC_API_LOG_LEVEL", "WARNING")
    with tempfile.TemporaryDirectory(prefix="bench-federation-") as tmp:
        run(Path(tmp), args.series, args.requests)


if __name__ == "__main__":
    main()
