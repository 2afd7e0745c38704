"""Latency of a dashboard query through real HTTP: uvicorn on loopback, httpx client.

Data: 100 series (``system.cpu``, one ``host`` each), one day at 10 s = 8640 points per series
(864,000 points), in the memory backends. Queries (``POST /query/metrics``, JSON):

* ``average(5m)``          — every series into one group of 288 buckets (the brief's query);
* ``average(5m) by host``  — 100 groups of 288 buckets (a typical per-host dashboard panel).

Prints p50/p90/p99/mean latency per query. Goal: p50 < 100 ms for ``average(5m)``.

    .venv/bin/python benchmarks/bench_query_http.py [--requests 200] [--series 100]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import threading
import time
from typing import Any

import httpx
import numpy as np
import uvicorn
from benchlib import Result, record

from heroic_api.main import create_app
from heroic_core.backends.factory import build_backends
from heroic_core.backends.group import Backends
from heroic_core.config import HeroicConfig
from heroic_core.model import DateRange, Points, Series

DAY_MS = 86_400_000
STEP_MS = 10_000
START = 1_699_920_000_000  # a UTC midnight, well in the past: no shift_range
END = START + DAY_MS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def populate(backends: Backends, series_count: int) -> int:
    """Write the data straight into the backends (setup is not what is measured)."""
    rng = np.random.default_rng(42)
    timestamps = START + STEP_MS * np.arange(1, DAY_MS // STEP_MS + 1, dtype=np.int64)
    for i in range(series_count):
        series = Series("system.cpu", {"host": f"host-{i:03d}", "site": "lon"})
        values = rng.uniform(0, 100, timestamps.shape[0])
        points = Points(timestamps, values)
        for metric in backends.metrics.members:
            await metric.write(series, points)
        for index in (*backends.metadata.members, *backends.suggest.members):
            await index.write(series, DateRange(int(timestamps[0]), int(timestamps[-1])))
    return series_count * int(timestamps.shape[0])


def start_server(backends: Backends, port: int) -> uvicorn.Server:
    app = create_app(HeroicConfig.default(), backends)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    return server


def measure(client: httpx.Client, body: dict[str, Any], requests: int) -> tuple[list[float], int]:
    """Latencies in ms (after 10 warm-up requests) and the response size in bytes."""
    size = 0
    for _ in range(10):
        response = client.post("/query/metrics", json=body)
        response.raise_for_status()
        size = len(response.content)
    latencies = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.post("/query/metrics", json=body)
        response.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies, size


def report(name: str, latencies: list[float], size: int, groups: int) -> None:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    print(
        f"{name:<24} n={len(ordered):<4} p50={pct(50):7.1f} ms  p90={pct(90):7.1f} ms  "
        f"p99={pct(99):7.1f} ms  mean={statistics.fmean(ordered):7.1f} ms  "
        f"groups={groups:<3} body={size / 1024:.0f} KiB"
    )
    for p in (50, 99):
        record(Result("query_http", f"{name} p{p}", "ms", [pct(p)], lower_is_better=True,
                      notes={"requests": len(ordered), "groups": groups}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--series", type=int, default=100)
    args = parser.parse_args()

    backends = build_backends(HeroicConfig.default())
    points = asyncio.run(populate(backends, args.series))
    port = free_port()
    server = start_server(backends, port)
    print(f"{args.series} series, {points:,} points, uvicorn on 127.0.0.1:{port}")
    queries = {
        "average(5m)": {"type": "average", "size": "5m"},
        "average(5m) by host": {
            "type": "group",
            "of": ["host"],
            "each": {"type": "average", "size": "5m"},
        },
    }
    base_url = f"http://127.0.0.1:{port}"
    headers = {"X-Client-Id": "bench"}
    try:
        with httpx.Client(base_url=base_url, headers=headers, timeout=60) as client:
            for name, aggregation in queries.items():
                body = {
                    "range": {"type": "absolute", "start": START, "end": END},
                    "filter": ["key", "system.cpu"],
                    "aggregation": aggregation,
                }
                groups = len(client.post("/query/metrics", json=body).json()["result"])
                latencies, size = measure(client, body, args.requests)
                report(name, latencies, size, groups)
    finally:
        server.should_exit = True
        time.sleep(0.5)


if __name__ == "__main__":
    main()
