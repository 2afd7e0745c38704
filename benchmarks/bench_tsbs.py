"""TSBS-shaped queries (cpu-only) through HTTP: the API node against VictoriaMetrics, each
pinned to core 0 with the same data, in the same run (goal Q2).

Data, from a seeded generator: ``--hosts`` hosts x 10 fields (``usage_user`` ...), one point
every 10 s for 12 h; Heroic series ``cpu`` with tags ``hostname`` and ``field``, VictoriaMetrics
series ``cpu_<field>{hostname=...}``, loaded through ``POST /write`` and ``/influx/write``; both
are asked how many points they hold before any query. Queries, with equivalent MetricsQL:

* ``double-groupby-1``: mean of one field per host per hour over the 12 h (Heroic
  ``group by hostname, average(1h)``; ``avg by (hostname) (avg_over_time(cpu_usage_user[1h]))``
  at step 1h). Goal: faster than VictoriaMetrics.
* ``single-groupby-1-1-1``: max of one field of one host every 5 minutes over one hour
  (``max(5m)``; ``max(max_over_time(...[5m]))`` at step 5m). Goal: within 2x.
* ``high-cpu-1``: the readings of one host whose ``usage_user`` is above 90 over the 12 h
  (``pointsabove(90)``; ``cpu_usage_user{hostname=...} > 90`` at step 10s). Goal: within 2x.

Each is timed at concurrency 1 (p50 and p99 of ``--queries`` queries with random hosts and
windows) and at concurrency 8 (queries per second), and the CPU seconds each server spent per
query are recorded too, as are, at concurrency 8, the share of its core each server got (CPU
seconds per wall second) and how long it was ready to run but waiting for the core (the
scheduler's run delay per wall second): on a core shared with other jobs, queries/s at
concurrency 8 follows those as much as the CPU per query. Ours and VictoriaMetrics take turns
in ``ROUNDS`` rounds of a tenth of the queries each, so that both meet the same machine: on a
machine shared with other jobs the load moves by a factor of two within a minute.

    .venv/bin/python benchmarks/bench_tsbs.py [--hosts 100] [--queries 100]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from bench_write_http import CLIENT, ApiNode, send_all
from benchlib import (
    SUBJECT_CORE,
    Result,
    cpu_seconds,
    other_cores,
    record,
    runqueue_seconds,
    start_victoria_metrics,
)

FIELDS = (
    "usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait", "usage_irq",
    "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice",
)  # fmt: skip
STEP_MS = 10_000
HOUR_MS = 3_600_000
SPAN_MS = 12 * HOUR_MS
START_MS = 1_700_006_400_000  # a UTC hour
POINTS = SPAN_MS // STEP_MS
SEED = 20261206

Query = Callable[[random.Random], tuple[dict[str, Any], dict[str, str]]]
Sender = Callable[[httpx.Client, random.Random], None]


def generate(hosts: int) -> dict[tuple[int, str], np.ndarray]:
    """A random walk in [0, 100] per host and field."""
    rng = np.random.default_rng(SEED)
    data = {}
    for host in range(hosts):
        for name in FIELDS:
            walk = np.cumsum(rng.normal(0, 4, POINTS)) + rng.uniform(20, 80)
            data[(host, name)] = np.clip(walk, 0, 100).round(3)
    return data


def timestamps() -> list[int]:
    return [START_MS + (i + 1) * STEP_MS for i in range(POINTS)]


def load_ours(api: ApiNode, data: dict[tuple[int, str], np.ndarray]) -> None:
    ts = timestamps()
    bodies = [
        json.dumps(
            {
                "series": {"key": "cpu", "tags": {"hostname": f"host_{h}", "field": f}},
                "data": {"type": "points", "data": list(zip(ts, values.tolist(), strict=True))},
            }
        ).encode()
        for (h, f), values in data.items()
    ]
    send_all(f"{api.url}/write", bodies, 4, {"content-type": "application/json", **CLIENT})


def load_vm(vm: Any, data: dict[tuple[int, str], np.ndarray]) -> None:
    ts = timestamps()
    bodies = [
        b"".join(
            b"cpu,hostname=host_%d %s=%r %d\n" % (h, f.encode(), v, t)
            for t, v in zip(ts, values.tolist(), strict=True)
        )
        for (h, f), values in data.items()
    ]
    send_all(f"{vm.url}/influx/write?precision=ms", bodies, 4, {})
    vm.flush()


def heroic_queries(hosts: int) -> dict[str, Query]:
    end = START_MS + SPAN_MS

    def double_groupby(rng: random.Random) -> tuple[dict[str, Any], dict[str, str]]:
        del rng
        return {
            "range": {"type": "absolute", "start": START_MS, "end": end},
            "filter": ["and", ["key", "cpu"], ["=", "field", "usage_user"]],
            "aggregation": {"type": "group", "of": ["hostname"],
                            "each": {"type": "average", "size": "1h"}},
        }, {}  # fmt: skip

    def single_groupby(rng: random.Random) -> tuple[dict[str, Any], dict[str, str]]:
        start = START_MS + rng.randrange(11) * HOUR_MS
        return {
            "range": {"type": "absolute", "start": start, "end": start + HOUR_MS},
            "filter": ["and", ["key", "cpu"], ["=", "field", "usage_user"],
                       ["=", "hostname", f"host_{rng.randrange(hosts)}"]],
            "aggregation": {"type": "max", "size": "5m"},
        }, {}  # fmt: skip

    def high_cpu(rng: random.Random) -> tuple[dict[str, Any], dict[str, str]]:
        return {
            "range": {"type": "absolute", "start": START_MS, "end": end},
            "filter": ["and", ["key", "cpu"], ["=", "field", "usage_user"],
                       ["=", "hostname", f"host_{rng.randrange(hosts)}"]],
            "aggregation": {"type": "pointsabove", "threshold": 90},
        }, {}  # fmt: skip

    return {"double-groupby-1": double_groupby, "single-groupby-1-1-1": single_groupby,
            "high-cpu-1": high_cpu}  # fmt: skip


def vm_queries(hosts: int) -> dict[str, Query]:
    end_s = (START_MS + SPAN_MS) // 1000

    def double_groupby(rng: random.Random) -> tuple[dict[str, Any], dict[str, str]]:
        del rng
        first = str(START_MS // 1000 + 3600)
        query = "avg by (hostname) (avg_over_time(cpu_usage_user[1h]))"
        return {}, {"query": query, "start": first, "end": str(end_s), "step": "1h"}

    def single_groupby(rng: random.Random) -> tuple[dict[str, Any], dict[str, str]]:
        start = START_MS // 1000 + rng.randrange(11) * 3600
        host = f"host_{rng.randrange(hosts)}"
        return {}, {"query": f'max(max_over_time(cpu_usage_user{{hostname="{host}"}}[5m]))',
                    "start": str(start + 300), "end": str(start + 3600), "step": "5m"}  # fmt: skip

    def high_cpu(rng: random.Random) -> tuple[dict[str, Any], dict[str, str]]:
        host = f"host_{rng.randrange(hosts)}"
        return {}, {"query": f'cpu_usage_user{{hostname="{host}"}} > 90',
                    "start": str(START_MS // 1000), "end": str(end_s), "step": "10s"}  # fmt: skip

    return {"double-groupby-1": double_groupby, "single-groupby-1-1-1": single_groupby,
            "high-cpu-1": high_cpu}  # fmt: skip


def run_queries(
    send: Sender, count: int, clients: list[httpx.Client], rngs: list[random.Random]
) -> list[float]:
    """Latencies in ms of ``count`` queries sent by a thread per client (kept connected), each
    drawing its hosts and windows from its own generator."""
    latencies: list[float] = []
    lock = threading.Lock()
    left = [count]

    def worker(index: int) -> None:
        rng, client = rngs[index], clients[index]
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            began = time.perf_counter()
            send(client, rng)
            took = (time.perf_counter() - began) * 1000
            with lock:
                latencies.append(took)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(clients))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


ROUNDS = 10


@dataclass
class Side:
    """One server's sender, the CPU seconds its process has used so far, and what it got."""

    send: Sender
    cpu: Callable[[], float]
    waited: Callable[[], float]  # seconds ready to run but waiting for the core, so far
    single: list[float] = field(default_factory=list)
    busy: float = 0.0  # wall seconds of the concurrency-8 rounds
    busy_cpu: float = 0.0  # CPU seconds the server spent in them
    busy_wait: float = 0.0  # seconds the server was ready to run in them but not running
    cpu_used: float = 0.0
    queries: int = 0
    clients: list[httpx.Client] = field(default_factory=list)
    rngs: list[random.Random] = field(default_factory=list)

    def turn(self, count: int, concurrency: int) -> None:
        while len(self.clients) < concurrency:
            self.rngs.append(random.Random(SEED + len(self.clients)))
            self.clients.append(httpx.Client(timeout=120))
        cpu0, wait0, began = self.cpu(), self.waited(), time.perf_counter()
        latencies = run_queries(self.send, count, self.clients[:concurrency], self.rngs)
        used, waited = self.cpu() - cpu0, self.waited() - wait0
        self.cpu_used += used
        self.queries += count
        if concurrency == 1:
            self.single += latencies
        else:
            self.busy += time.perf_counter() - began
            self.busy_cpu += used
            self.busy_wait += waited

    def figures(self, qps_queries: int) -> dict[str, float]:
        return {
            "p50": percentile(self.single, 50),
            "p99": percentile(self.single, 99),
            "qps": qps_queries / self.busy,
            "cpu": self.cpu_used / self.queries * 1000,
            # How much of its core the server got while eight queries were open: on a core
            # shared with other jobs, queries/s follows this as much as CPU per query.
            "share": self.busy_cpu / self.busy * 100,
            # ... and how long it was ready to run but another process had the core: a server
            # that always has work queued waits here, one that waits for its clients does not.
            "runqueue": self.busy_wait / self.busy * 100,
        }


def measure(sides: list[Side], count: int) -> list[dict[str, float]]:
    """Both sides in turns: ``count`` queries one at a time, then ``2 * count`` eight at a
    time, a tenth in each round."""
    for side in sides:
        side.turn(8, 8)  # warm up: connections, caches
        side.single, side.busy, side.cpu_used, side.queries = [], 0.0, 0.0, 0
        side.busy_cpu = side.busy_wait = 0.0
    per_round = max(count // ROUNDS, 1)
    for _ in range(ROUNDS):
        for side in sides:
            side.turn(per_round, 1)
    for _ in range(ROUNDS):
        for side in sides:
            side.turn(2 * per_round, 8)
    for side in sides:
        for client in side.clients:
            client.close()
    return [side.figures(2 * per_round * ROUNDS) for side in sides]


def ours_sender(api: ApiNode, query: Query) -> Sender:
    def send(client: httpx.Client, rng: random.Random) -> None:
        body, _ = query(rng)
        response = client.post(f"{api.url}/query/metrics", json=body, headers=CLIENT)
        response.raise_for_status()
        # A failed query is a 200 with errors (upstream's way); the answer ends with its list
        # of errors. Read as bytes: the client decodes VictoriaMetrics' answers no further than
        # their status either, and decoding 50 KB of JSON here would count in our latency.
        if not response.content.endswith(b'"errors":[]}'):
            raise SystemExit(f"query failed: {response.text[-300:]}")

    return send


def vm_sender(vm: Any, query: Query) -> Sender:
    def send(client: httpx.Client, rng: random.Random) -> None:
        _, params = query(rng)
        response = client.get(f"{vm.url}/api/v1/query_range", params=params)
        response.raise_for_status()

    return send


def check_loaded(api: ApiNode, vm: Any, hosts: int) -> None:
    """Both hold every point before any query is timed."""
    expected = hosts * len(FIELDS) * POINTS
    body = {"range": {"type": "absolute", "start": START_MS, "end": START_MS + SPAN_MS},
            "filter": ["key", "cpu"], "aggregation": {"type": "count", "size": "12h"}}  # fmt: skip
    got = httpx.post(f"{api.url}/query/metrics", json=body, headers=CLIENT, timeout=300).json()
    ours = sum(v for group in got["result"] for _, v in group["values"])
    if ours != expected:
        raise SystemExit(f"the API node holds {ours} of {expected} points")
    if vm is None:
        return
    query = 'sum(count_over_time({__name__=~"cpu_.*"}[13h]))'
    vm.wait_for_points(query, (START_MS + SPAN_MS) // 1000, expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    os.sched_setaffinity(0, other_cores())
    data = generate(args.hosts)
    api = ApiNode()
    vm = start_victoria_metrics({SUBJECT_CORE})
    try:
        load_ours(api, data)
        if vm is not None:
            load_vm(vm, data)
        check_loaded(api, vm, args.hosts)
        mine, theirs = heroic_queries(args.hosts), vm_queries(args.hosts)
        for name, query in mine.items():
            sides = [Side(ours_sender(api, query), lambda: cpu_seconds(api.process.pid),
                          lambda: runqueue_seconds(api.process.pid))]  # fmt: skip
            if vm is not None:
                sides.append(Side(vm_sender(vm, theirs[name]), vm.cpu,
                                  lambda: runqueue_seconds(vm.process.pid)))  # fmt: skip
            ours, *rest = measure(sides, args.queries)
            peer = rest[0] if rest else None
            goal = 1.0 if name == "double-groupby-1" else 0.5
            stats = (("p50", "ms", True), ("p99", "ms", True), ("qps", "queries/s", False),
                     ("cpu", "ms", True), ("share", "% of a core", False),
                     ("runqueue", "% of the time", True))  # fmt: skip
            for stat, unit, lower in stats:
                label = {"qps": "concurrency 8", "cpu": "CPU per query",
                         "share": "CPU share at concurrency 8",
                         "runqueue": "waiting for the core at concurrency 8"}  # fmt: skip
                record(Result(
                    "tsbs", f"{name} {stat} ({label.get(stat, 'c=1')})",
                    unit, [ours[stat]], peer="VictoriaMetrics" if peer else None,
                    peer_runs=[peer[stat]] if peer else [], lower_is_better=lower,
                    ratio_goal=goal if stat == "p50" else None,
                    notes={"hosts": args.hosts, "queries": args.queries},
                ))  # fmt: skip
    finally:
        api.stop()
        if vm is not None:
            vm.stop()


if __name__ == "__main__":
    main()
