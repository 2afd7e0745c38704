"""Ingest per core: ``heroic consumer`` from Kafka against VictoriaMetrics on the same points.

Measured in one run, each case ``--runs`` times (median and spread), the process under test
pinned to core 0 and Kafka, the load generator and the other servers to the other cores:

* ``bare``: a confluent-kafka ``consume()`` loop that only counts messages (the ceiling of any
  Python Kafka consumer), messages per CPU-second;
* the consumer node (``ingest_child.py``: the ``ConsumerNode`` of ``heroic consumer``) into the
  memory backends, all three writes: Spotify100 JSON with 1,000 and with ``--many-series``
  series, and Spotify100Proto batches of 100 points; points per CPU-second of the consumer
  process (goal C1: 500,000 JSON, 1,000,000 proto). With ``--many-series`` twice: each series
  new at its first point (a tenth of the points with the defaults: churn, no goal), and every
  series known before the clock starts (the steady state, which C1's goal is on);
* the same into Cassandra and the Bigtable emulator (metrics; metadata and suggest in memory):
  the consumer's own CPU per point, since the emulator's and Cassandra's time is not ours;
* VictoriaMetrics (Debian's package, a fresh data directory per run) ingesting the same points
  of the 1,000-series case as Influx line protocol over ``/influx/write``; points per
  CPU-second of VictoriaMetrics, and our ratio to it (goal C2: 0.35).

Every run checks what it ingested: the consumer's metric backend is read back (count and sum of
every point), VictoriaMetrics is asked for the count and sum of what it stored.

    .venv/bin/python benchmarks/bench_consumer.py [--points 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import cramjam
import httpx
import yaml
from benchlib import (
    BASE_MS,
    SUBJECT_CORE,
    Result,
    other_cores,
    pinned,
    record,
    spotify100_bodies,
    spotify100_warm_bodies,
    start_victoria_metrics,
    testenv_pids,
)
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from heroic_consumer import proto
from heroic_testenv.runner import ensure

SPOTIFY100 = "com.spotify.heroic.consumer.schemas.Spotify100"
SPOTIFY100_PROTO = "com.spotify.heroic.consumer.schemas.Spotify100Proto"
PARTITIONS = 3
PROTO_BATCH = 100
HERE = Path(__file__).resolve().parent


class Topic:
    """A topic filled with ``points`` points of ``series`` series (host-0 ...); point ``i`` is
    ``(host-{i % series}, BASE_MS + i, float(i % 1000))``, so no (series, time) repeats. With
    ``warm`` (JSON only), one point of every series first, valued 0 and timed before the others:
    the consumer's clock starts once they are written, so it is timed on known series only."""

    def __init__(
        self, servers: str, points: int, series: int, schema: str, *, warm: bool = False
    ) -> None:
        self.servers, self.points, self.series, self.schema = servers, points, series, schema
        self.warm = series if warm else 0
        self.name = f"bench-{uuid.uuid4().hex[:8]}"
        self.expected_sum = float(sum(i % 1000 for i in range(points)))
        admin = AdminClient({"bootstrap.servers": servers})
        admin.create_topics([NewTopic(self.name, num_partitions=PARTITIONS)])[self.name].result(30)
        producer = Producer({"bootstrap.servers": servers, "linger.ms": 50,
                             "compression.type": "lz4"})  # fmt: skip
        bodies = self._json() if schema == SPOTIFY100 else self._proto()
        for n, body in enumerate(bodies):
            while True:
                try:
                    producer.produce(self.name, body, partition=n % PARTITIONS)
                    break
                except BufferError:
                    producer.poll(0.1)
        producer.flush(300)

    def _json(self) -> Iterator[bytes]:
        yield from spotify100_warm_bodies(self.warm)
        yield from spotify100_bodies(self.points, self.series)

    def _proto(self) -> Any:
        for start in range(0, self.points, PROTO_BATCH):
            batch = proto.Batch()
            for i in range(start, min(start + PROTO_BATCH, self.points)):
                m = batch.metric.add()
                m.key, m.time, m.value = "bench.cpu", BASE_MS + i, float(i % 1000)
                m.tags.update(
                    {"host": f"host-{i % self.series}", "site": "lon", "what": "cpu-idle"}
                )
            yield bytes(cramjam.snappy.compress_raw(batch.SerializeToString()))

    def messages(self) -> int:
        return self.points if self.schema == SPOTIFY100 else -(-self.points // PROTO_BATCH)


def child(argv: list[str]) -> dict[str, Any]:
    """One pinned ``ingest_child.py`` run; its JSON answer."""
    command = ["taskset", "-c", str(SUBJECT_CORE), sys.executable, str(HERE / "ingest_child.py")]
    done = subprocess.run([*command, *argv], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"ingest_child failed ({done.returncode}): {done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def node_run(
    topic: Topic, backends: dict[str, Any], cache: int, writes: str | None = None
) -> dict[str, Any]:
    consumer = {
        "type": "kafka", "schema": topic.schema, "topics": [topic.name],
        "config": {"bootstrap.servers": topic.servers, "group.id": f"b-{uuid.uuid4().hex}"},
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "heroic.yml"
        path.write_text(yaml.safe_dump(backends | {"consumers": [consumer]}))
        extra = ["--writes", writes] if writes else []
        result = child(["node", "--config", str(path), "--points", str(topic.points),
                        "--warm", str(topic.warm), "--series-cache", str(cache),
                        *extra])  # fmt: skip
    counted_only = result["read_sum"] == -1.0  # no metadata: the written count is checked
    if result["read_count"] != topic.points + topic.warm or (
        not counted_only and result["read_sum"] != topic.expected_sum
    ):
        raise SystemExit(
            f"read back {result['read_count']} points summing to {result['read_sum']}, "
            f"wrote {topic.points} summing to {topic.expected_sum}"
        )
    return result


def memory_backends() -> dict[str, Any]:
    return {section: {"backends": [{"type": "memory"}]}
            for section in ("metrics", "metadata", "suggest")}  # fmt: skip


def bigtable_backends() -> dict[str, Any]:
    bigtable = {"type": "bigtable", "project": "heroic-bench", "instance": "heroic",
                "table": f"bench-{uuid.uuid4().hex[:8]}", "configure": True,
                "emulatorEndpoint": os.environ["BIGTABLE_EMULATOR_HOST"]}  # fmt: skip
    return memory_backends() | {"metrics": {"backends": [bigtable]}}


def cassandra_backends() -> dict[str, Any]:
    replication = {"class": "SimpleStrategy", "replication_factor": 1}
    cassandra = {
        "type": "datastax", "seeds": [os.environ["CASSANDRA_CONTACT_POINTS"]], "configure": True,
        "schema": {"keyspace": f"bench_{uuid.uuid4().hex[:8]}", "replication": replication},
    }  # fmt: skip
    return memory_backends() | {"metrics": {"backends": [cassandra]}}


def memory_case(servers: str, points: int, series_counts: list[int], cache: int) -> None:
    """RSS of a consumer writing metrics only (to the Bigtable emulator, so no backend of ours
    holds the data in the process) after ``points`` points of each number of distinct series:
    what remains is the consumer's own state, bounded by its caches."""
    rss = []
    for series in series_counts:
        topic = Topic(servers, points, series, SPOTIFY100)
        rss.append(node_run(topic, bigtable_backends(), cache, writes="metrics")["rss_mib"])
    for series, value in zip(series_counts, rss, strict=True):
        notes = {"series_cache": cache, "writes": "metrics -> Bigtable emulator"}
        record(Result("consumer", f"RSS after {points:,} points of {series:,} series", "MiB",
                      [value], lower_is_better=True, notes=notes))  # fmt: skip


def per_cpu(result: dict[str, Any]) -> float:
    return float(result["points"] / result["cpu_s"])


def consumer_case(
    name: str, topic: Topic, backends: Callable[[], dict[str, Any]], *, runs: int, cache: int,
    goal: float | None = None, peer: Result | None = None, ratio_goal: float | None = None,
) -> Result:  # fmt: skip
    results = [node_run(topic, backends(), cache) for _ in range(runs)]
    out = Result(
        "consumer", name, "points/CPU-s", [per_cpu(r) for r in results],
        peer=peer.case if peer else None, peer_runs=list(peer.runs) if peer else [], goal=goal,
        ratio_goal=ratio_goal,
        notes={
            "points": topic.points, "series": topic.series,
            "points_per_wall_s": statistics.median(r["points"] / r["wall_s"] for r in results),
            "rss_mib": statistics.median(r["rss_mib"] for r in results),
            "cpu_us_per_point": statistics.median(1e6 * r["cpu_s"] / r["points"] for r in results),
        },
    )  # fmt: skip
    return record(out)


# --- VictoriaMetrics ----------------------------------------------------------------------


def influx_bodies(points: int, series: int, lines_per_body: int = 10_000) -> list[bytes]:
    """The points of the JSON topic as Influx line protocol, millisecond timestamps."""
    bodies = []
    for start in range(0, points, lines_per_body):
        bodies.append(b"".join(
            b"bench_cpu,host=host-%d,site=lon,what=cpu-idle value=%d %d\n"
            % (i % series, i % 1000, BASE_MS + i)
            for i in range(start, min(start + lines_per_body, points))
        ))  # fmt: skip
    return bodies


def vm_run(points: int, series: int, bodies: list[bytes], senders: int = 4) -> float | None:
    """Points per CPU-second of a fresh VictoriaMetrics ingesting ``bodies``; None if it
    cannot run."""
    vm = start_victoria_metrics({SUBJECT_CORE})
    if vm is None:
        return None
    try:
        url = f"{vm.url}/influx/write?precision=ms"
        queue = list(bodies)
        lock = threading.Lock()

        def send() -> None:
            with httpx.Client(timeout=120) as client:
                while True:
                    with lock:
                        if not queue:
                            return
                        body = queue.pop()
                    client.post(url, content=body).raise_for_status()

        cpu0 = vm.cpu()
        threads = [threading.Thread(target=send) for _ in range(senders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        vm.flush()
        cpu = vm.cpu() - cpu0
        check_vm(vm, points)
        return points / cpu
    finally:
        vm.stop()


def check_vm(vm: Any, points: int) -> None:
    window = f"{points // 1000 + 10}s"
    at = (BASE_MS + points) // 1000 + 1
    vm.wait_for_points(f"sum(count_over_time(bench_cpu_value[{window}]))", at, points, 30)


# --- main -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--many-series", type=int, default=100_000)
    parser.add_argument("--durable-points", type=int, default=100_000,
                        help="points of the Cassandra and Bigtable cases")  # fmt: skip
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--series-cache", type=int, default=200_000)
    parser.add_argument("--skip-durable", action="store_true")
    parser.add_argument("--memory-series", type=int, default=1_000_000,
                        help="distinct series of the RSS case (beside 1,000)")  # fmt: skip
    args = parser.parse_args()
    components = ["kafka"] if args.skip_durable else ["kafka", "bigtable", "cassandra"]
    ensure(components)
    os.sched_setaffinity(0, other_cores())  # this process generates load: off the subject core
    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    print(f"filling topics: {args.points:,} points each", flush=True)
    few = Topic(servers, args.points, 1000, SPOTIFY100)
    many = Topic(servers, args.points, args.many_series, SPOTIFY100)
    known = Topic(servers, args.points, args.many_series, SPOTIFY100, warm=True)
    protos = Topic(servers, args.points, 1000, SPOTIFY100_PROTO)

    vm_runs = [vm_run(args.points, 1000, influx_bodies(args.points, 1000))
               for _ in range(args.runs)]  # fmt: skip
    peer = Result("consumer", "VictoriaMetrics /influx/write, 1,000 series", "points/CPU-s",
                  [r for r in vm_runs if r is not None])  # fmt: skip
    if peer.runs:
        record(peer)
    with pinned(testenv_pids(*components), other_cores()):
        bare = [child(["bare", "--servers", servers, "--topic", few.name,
                       "--points", str(few.messages())]) for _ in range(args.runs)]  # fmt: skip
        record(Result("consumer", "bare confluent-kafka consume() loop", "messages/CPU-s",
                      [per_cpu(r) for r in bare]))  # fmt: skip
        compare = peer if peer.runs else None
        each = {"runs": args.runs, "cache": args.series_cache}
        consumer_case("consumer -> memory, JSON, 1,000 series", few, memory_backends,
                      goal=500_000, peer=compare, ratio_goal=0.35, **each)  # fmt: skip
        # C1's goal for 100,000 series is on the steady state (the case after this one): here
        # each series is new at its first point, one point in points/series, the churn of a
        # restart or a fleet replacement, and no goal names it.
        consumer_case(f"consumer -> memory, JSON, {args.many_series:,} series, each new at "
                      "its first point", many, memory_backends, **each)  # fmt: skip
        consumer_case(f"consumer -> memory, JSON, {args.many_series:,} known series", known,
                      memory_backends, goal=500_000, **each)  # fmt: skip
        consumer_case("consumer -> memory, Proto (100/message), 1,000 series", protos,
                      memory_backends, goal=1_000_000, **each)  # fmt: skip
        if not args.skip_durable:
            small = Topic(servers, args.durable_points, 1000, SPOTIFY100)
            consumer_case("consumer -> Cassandra, JSON, 1,000 series", small,
                          cassandra_backends, **each)  # fmt: skip
            consumer_case("consumer -> Bigtable emulator, JSON, 1,000 series", small,
                          bigtable_backends, **each)  # fmt: skip
            memory_case(servers, args.memory_series, [1000, args.memory_series],
                        args.series_cache)  # fmt: skip


if __name__ == "__main__":
    main()
