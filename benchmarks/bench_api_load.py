"""Probes and queries under load: the API node (``heroic api``, memory backends, defaults)
pinned to core 0, 300 series of a day each (one point every 10 s, written through
``POST /write``), and 32 clients sending ``average(1m) by host from points(1d)`` (HQL) for
``--seconds`` (two minutes, the issue's load) from the other cores.

A client that gets 503 waits what ``Retry-After`` says, as a well-behaved client does, then
sends again. A separate process (so that the clients' threads cannot delay it) probes
``/healthz``, ``/readyz`` and ``/status`` in turn, ten times a second, with the kubelet's
one-second timeout (a probe that times out counts as one second). Printed: probe latency p50
and p99 per path (goal: p99 under 100 ms), answered queries per second, refused (503) queries
per second, and the server's resident memory before and at its peak.

    .venv/bin/python benchmarks/bench_api_load.py [--seconds 120] [--clients 32]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import threading
import time
from collections import Counter
from multiprocessing.connection import Connection

import httpx
from bench_tsbs import percentile
from bench_write_http import CLIENT, ApiNode, send_all
from benchlib import Result, other_cores, record, rss_mib

SERIES = 300
STEP_MS = 10_000
DAY_MS = 86_400_000
QUERY = b"average(1m) by host from points(1d)"
PROBES = ("/healthz", "/readyz", "/status")
PROBE_TIMEOUT = 1.0
PROBE_PERIOD = 0.1


def load(api: ApiNode) -> int:
    """A day of points per series up to now; returns the number of points."""
    now = int(time.time() * 1000)
    timestamps = range(now - DAY_MS + STEP_MS, now + 1, STEP_MS)
    bodies = [
        json.dumps(
            {
                "series": {"key": "load", "tags": {"host": f"host-{h}"}},
                "data": {"type": "points", "data": [[t, float(i % 100)] for i, t in
                                                    enumerate(timestamps)]},
            }
        ).encode()
        for h in range(SERIES)
    ]  # fmt: skip
    send_all(f"{api.url}/write", bodies, 4, {"content-type": "application/json", **CLIENT})
    return SERIES * len(timestamps)


def probe(url: str, seconds: float, out: Connection) -> None:
    """In its own process: probe each path in turn; send back ``{path: [ms, ...]}``."""
    os.sched_setaffinity(0, other_cores())
    latencies: dict[str, list[float]] = {path: [] for path in PROBES}
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=PROBE_TIMEOUT) as client:
        while time.monotonic() < deadline:
            for path in PROBES:
                began = time.perf_counter()
                try:
                    ok = client.get(f"{url}{path}").status_code == 200
                except httpx.TimeoutException:
                    ok = False
                took = time.perf_counter() - began
                latencies[path].append(1000 * (took if ok else PROBE_TIMEOUT))
                time.sleep(PROBE_PERIOD)
    out.send(latencies)
    out.close()


def query_load(url: str, clients: int, seconds: float) -> tuple[Counter[int], float]:
    """Status codes of the queries ``clients`` threads sent for ``seconds``, and the wall time."""
    codes: Counter[int] = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    headers = {"content-type": "text/plain", **CLIENT}

    def client() -> None:
        with httpx.Client(timeout=300) as http:
            while time.monotonic() < deadline:
                response = http.post(f"{url}/query/metrics", content=QUERY, headers=headers)
                with lock:
                    codes[response.status_code] += 1
                if response.status_code == 503:
                    time.sleep(float(response.headers.get("retry-after", "1")))

    began = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes, time.monotonic() - began


def watch_memory(pid: int, stop: threading.Event, peak: list[float]) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], rss_mib(pid))
        stop.wait(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    os.sched_setaffinity(0, other_cores())
    api = ApiNode()
    try:
        points = load(api)
        before = rss_mib(api.process.pid)
        peak = [before]
        stop = threading.Event()
        watcher = threading.Thread(target=watch_memory, args=(api.process.pid, stop, peak))
        watcher.start()
        receive, send = multiprocessing.get_context("spawn").Pipe(duplex=False)
        prober = multiprocessing.get_context("spawn").Process(
            target=probe, args=(api.url, args.seconds, send)
        )
        prober.start()
        codes, wall = query_load(api.url, args.clients, args.seconds)
        latencies = receive.recv()
        prober.join()
        stop.set()
        watcher.join()
    finally:
        api.stop()
    notes = {"series": SERIES, "points": points, "clients": args.clients, "seconds": args.seconds}
    for path, values in latencies.items():
        for stat in (50, 99):
            record(Result(
                "api-load", f"probe {path} p{stat} ({args.clients} clients querying)", "ms",
                [percentile(values, stat)], lower_is_better=True,
                goal=100.0 if stat == 99 else None, notes={**notes, "probes": len(values)},
            ))  # fmt: skip
    answered, refused = codes.get(200, 0), codes.get(503, 0)
    other = sum(codes.values()) - answered - refused
    record(Result("api-load", "answered queries/s", "queries/s", [answered / wall],
                  notes={**notes, "codes": dict(codes)}))  # fmt: skip
    record(Result("api-load", "refused queries/s (503, Retry-After honoured)", "queries/s",
                  [refused / wall], lower_is_better=True, notes=notes))  # fmt: skip
    record(Result("api-load", f"peak RSS (after loading: {before:.0f} MiB)", "MiB", [peak[0]],
                  lower_is_better=True, notes=notes))  # fmt: skip
    if other:
        raise SystemExit(f"unexpected answers: {dict(codes)}")


if __name__ == "__main__":
    main()
