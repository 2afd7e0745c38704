"""``POST /write`` per core: the API node (``heroic api``, memory backends) pinned to core 0,
against VictoriaMetrics' ``/influx/write`` on the same points, in the same run.

``--requests`` bodies of ``--points`` points each (one series per body, ``--series`` series in
turn, 10 s apart: the shape of the issue's measurement, 4,320 points = 12 h) are sent by
``--senders`` keep-alive connections from the other cores. Rated per CPU-second of the server
process (goal W1: 1,000,000 points per CPU-second) and per wall second; each run checks what
was stored by querying it back (count and sum over every series).

    .venv/bin/python benchmarks/bench_write_http.py [--requests 400] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from benchlib import (
    SUBJECT_CORE,
    Result,
    cpu_seconds,
    free_port,
    other_cores,
    record,
    start_victoria_metrics,
)

BASE_MS = 1_700_000_000_000
STEP_MS = 10_000
CLIENT = {"X-Client-Id": "bench"}


def bodies(requests: int, points: int, series: int) -> list[tuple[int, list[list[float]]]]:
    """``(host number, [[t, v], ...])`` per request; the i-th body of a host continues in time
    where its previous one ended, so no point repeats."""
    out = []
    for r in range(requests):
        host, turn = r % series, r // series
        start = BASE_MS + turn * points * STEP_MS
        out.append((host, [[start + i * STEP_MS, float(i % 100)] for i in range(points)]))
    return out


def send_all(url: str, payloads: list[bytes], senders: int, headers: dict[str, str]) -> None:
    queue = list(payloads)
    lock = threading.Lock()
    errors: list[str] = []

    def send() -> None:
        with httpx.Client(timeout=120, headers=headers) as client:
            while True:
                with lock:
                    if not queue or errors:
                        return
                    body = queue.pop()
                response = client.post(url, content=body)
                if response.status_code >= 300:
                    errors.append(f"{response.status_code}: {response.text[:200]}")

    threads = [threading.Thread(target=send) for _ in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"write failed: {errors[0]}")


class ApiNode:
    """``heroic api`` on memory backends, pinned to the subject core."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._dir = tempfile.TemporaryDirectory(prefix="heroic-bench-api-")
        config = Path(self._dir.name) / "heroic.yml"
        memory = {"backends": [{"type": "memory"}]}
        sections = dict.fromkeys(("metrics", "metadata", "suggest"), memory)
        config.write_text(json.dumps({"port": self.port, **sections}))
        self.process = subprocess.Popen(
            ["taskset", "-c", str(SUBJECT_CORE), sys.executable, "-m", "heroic_cli.main", "api",
             "--config", str(config), "--host", "127.0.0.1", "--log-level", "WARNING"],
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/status", timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("heroic api did not start")
            time.sleep(0.2)

    def stored(self, series: int, end: int) -> tuple[int, float]:
        body = {"range": {"type": "absolute", "start": BASE_MS - 1, "end": end},
                "filter": ["key", "bench.write"]}  # fmt: skip
        got = httpx.post(f"{self.url}/query/metrics", json=body, timeout=120, headers=CLIENT).json()
        values = [v for group in got["result"] for _, v in group["values"]]
        if len(got["result"]) != series:
            raise SystemExit(f"expected {series} series back, got {len(got['result'])}")
        return len(values), float(sum(values))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self._dir.cleanup()


def ours(data: list[tuple[int, list[list[float]]]], senders: int, series: int) -> float:
    api = ApiNode()
    try:
        payloads = [
            json.dumps(
                {
                    "series": {"key": "bench.write", "tags": {"host": f"host-{h}"}},
                    "data": {"type": "points", "data": points},
                }
            ).encode()
            for h, points in data
        ]
        cpu0 = cpu_seconds(api.process.pid)
        send_all(
            f"{api.url}/write", payloads, senders, {"content-type": "application/json", **CLIENT}
        )
        cpu = cpu_seconds(api.process.pid) - cpu0
        expected = sum(len(p) for _, p in data)
        end = max(p[-1][0] for _, p in data)
        count, total = api.stored(series, int(end))
        want = sum(v for _, p in data for _, v in p)
        if count != expected or total != want:
            raise SystemExit(f"stored {count} points summing to {total}; wrote {expected}, {want}")
        return expected / cpu
    finally:
        api.stop()


def peer(data: list[tuple[int, list[list[float]]]], senders: int) -> float | None:
    vm = start_victoria_metrics({SUBJECT_CORE})
    if vm is None:
        return None
    try:
        payloads = [
            b"".join(b"bench_write,host=host-%d value=%r %d\n" % (h, v, t) for t, v in points)
            for h, points in data
        ]
        cpu0 = vm.cpu()
        send_all(f"{vm.url}/influx/write?precision=ms", payloads, senders, {})
        vm.flush()
        return sum(len(p) for _, p in data) / (vm.cpu() - cpu0)
    finally:
        vm.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--points", type=int, default=4320)
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.sched_setaffinity(0, other_cores())
    data = bodies(args.requests, args.points, args.series)
    peers = [peer(data, args.senders) for _ in range(args.runs)]
    vm: list[float] = [p for p in peers if p is not None]
    runs = [ours(data, args.senders, args.series) for _ in range(args.runs)]
    notes: dict[str, Any] = {"points_per_request": args.points, "requests": args.requests}
    record(Result("write_http", f"POST /write, {args.points:,} points per request",
                  "points/CPU-s", runs, peer="VictoriaMetrics /influx/write" if vm else None,
                  peer_runs=vm, goal=1_000_000, notes=notes))  # fmt: skip


if __name__ == "__main__":
    main()
