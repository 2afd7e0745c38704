"""Consumer scaling: what more pipelines in one process buy, and what more processes buy.

Why ``threadsPerTopic`` is refused and ``threadsPerSubscription`` is implemented
(docs/compatibility.md, "Consumer"):

* Kafka, the same topic and group: one member in one process, four members in one process
  (four ``consumers:`` entries), two processes of one member. Points per wall second, CPU
  seconds per wall second of the consumer processes, and the share of their CPU spent by
  threads that hold Python's interpreter lock (the event loop and the client's worker
  thread) rather than librdkafka's own threads: in-process parallelism can add at most
  ``1 / share`` of one core, whatever the core count.
* Pub/Sub (the fake of the test environment), ``threadsPerSubscription`` 1 and 8: messages per
  wall second, on loopback and with a simulated network round trip (``--rtt-ms``: each pull,
  acknowledge and deadline call of the consumer's subscriber sleeps that long first, as a
  remote Pub/Sub would make it wait). Pulls and acknowledgements wait on the network, so
  parallel pipelines help until the one core is busy.

Every case runs ``heroic consumer`` processes on memory backends and reads their
``/metrics`` (messages committed) until every message is committed; rates are taken from 10 %
to 100 % committed, so start-up and the group join are left out. No pinning: this is about
using more than one core.

    .venv/bin/python benchmarks/bench_consumer_scaling.py [--points 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from bench_consumer import SPOTIFY100, Topic, memory_backends
from benchlib import Result, free_port, record
from google.cloud import pubsub_v1  # type: ignore[attr-defined, unused-ignore]  # namespace pkg

from heroic_testenv.runner import ensure

COMMITTED = "heroic_consumer_messages_committed_total"
#: ``heroic consumer`` whose Pub/Sub subscriber calls first sleep ``argv[1]`` ms (a round trip).
DELAYED_CONSUMER = """
import sys, time
from heroic_cli.main import main
from heroic_consumer.sources import pubsub
rtt = float(sys.argv.pop(1)) / 1000
start = pubsub.PubSubSource._start
def delayed(call):
    def after_a_round_trip(*args, **kwargs):
        time.sleep(rtt)
        return call(*args, **kwargs)
    return after_a_round_trip
def start_delayed(self):
    start(self)
    for name in ("pull", "acknowledge", "modify_ack_deadline"):
        setattr(self._subscriber, name, delayed(getattr(self._subscriber, name)))
pubsub.PubSubSource._start = start_delayed
sys.exit(main())
"""
#: Thread names of librdkafka's own threads, which run without the interpreter lock.
RDKAFKA_PREFIX = "rdk:"


@dataclass
class Measured:
    per_wall_s: float
    cpu_per_wall_s: float
    locked_share: float


def _committed(ports: list[int]) -> float:
    total = 0.0
    for port in ports:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        except httpx.HTTPError:
            continue
        total += sum(
            float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith(COMMITTED)
        )  # fmt: skip
    return total


def _cpu_split(pids: list[int]) -> tuple[float, float]:
    """(all CPU seconds, CPU seconds of librdkafka's threads) of ``pids``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = native = 0.0
    for pid in pids:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                stat = (task / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / ticks
            total += seconds
            if stat[stat.index("(") + 1 :].startswith(RDKAFKA_PREFIX):
                native += seconds
    return total, native


def run_consumers(
    config: dict[str, Any], processes: int, messages: int, rtt_ms: float = 0.0, *args: str
) -> Measured:
    """Run ``processes`` consumers of ``config`` until ``messages`` are committed."""
    ports = [free_port() for _ in range(processes)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "heroic.yml"
        path.write_text(yaml.safe_dump(config))
        command = [sys.executable, "-c", DELAYED_CONSUMER, str(rtt_ms), "consumer",
                   "--config", str(path), "--log-level", "WARNING", *args]  # fmt: skip
        procs = [subprocess.Popen([*command, "--port", str(p)]) for p in ports]
        try:
            return _measure(procs, ports, messages)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(60)


def _measure(procs: list[subprocess.Popen[bytes]], ports: list[int], messages: int) -> Measured:
    pids = [p.pid for p in procs]
    start: tuple[float, float, float, float] | None = None
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        time.sleep(0.1)
        if any(p.poll() is not None for p in procs):
            raise SystemExit("a consumer exited early")
        done = _committed(ports)
        if start is None and done >= messages * 0.1:
            start = (time.perf_counter(), done, *_cpu_split(pids))
        if start is not None and done >= messages:
            wall = time.perf_counter() - start[0]
            cpu, native = _cpu_split(pids)
            cpu, native = cpu - start[2], native - start[3]
            return Measured((done - start[1]) / wall, cpu / wall, 1 - native / cpu)
    raise SystemExit("the consumers did not commit every message in time")


def kafka_cases(points: int, runs: int) -> None:
    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    topic = Topic(servers, points, 1000, SPOTIFY100)

    def config(members: int) -> dict[str, Any]:
        group = f"scale-{uuid.uuid4().hex[:8]}"
        consumer = {"type": "kafka", "schema": SPOTIFY100, "topics": [topic.name],
                    "config": {"bootstrap.servers": servers, "group.id": group}}  # fmt: skip
        return memory_backends() | {"consumers": [consumer] * members}

    cases = [("1 process x 1 member", 1, 1), ("1 process x 4 members", 1, 4),
             ("2 processes x 1 member", 2, 1)]  # fmt: skip
    results: dict[str, list[Measured]] = {name: [] for name, _, _ in cases}
    for _ in range(runs):  # interleaved, so that a noisy minute hits every case
        for name, processes, members in cases:
            results[name].append(run_consumers(config(members), processes, points))
    for name, _, _ in cases:
        _record(f"Kafka -> memory, {name}", "points/s", results[name])


def pubsub_cases(messages: int, runs: int, rtt_ms: float, batch: int) -> None:
    project = os.environ.get("PUBSUB_PROJECT_ID", "heroic-bench")
    publisher = pubsub_v1.PublisherClient(
        batch_settings=pubsub_v1.types.BatchSettings(max_messages=1000, max_latency=0.05)
    )
    subscriber = pubsub_v1.SubscriberClient()
    bodies = [
        b'{"version":"1.1.0","key":"bench.cpu","host":"host-%d","time":%d,"value":%d.0}'
        % (i % 1000, 1_700_000_000_000 + i, i % 1000)
        for i in range(messages)
    ]

    def config(threads: int) -> dict[str, Any]:
        name = f"scale-{uuid.uuid4().hex[:8]}"
        topic = publisher.topic_path(project, name)
        publisher.create_topic(name=topic)
        subscriber.create_subscription(
            name=subscriber.subscription_path(project, name), topic=topic,
            ack_deadline_seconds=60,
        )  # fmt: skip
        for future in [publisher.publish(topic, body) for body in bodies]:
            future.result(timeout=60)
        consumer = {"type": "pubsub", "schema": SPOTIFY100, "project": project, "topic": name,
                    "subscription": name, "threadsPerSubscription": threads}  # fmt: skip
        return memory_backends() | {"consumers": [consumer]}

    cases = [(threads, rtt) for rtt in (0.0, rtt_ms) for threads in (1, 8)]
    results: dict[tuple[int, float], list[Measured]] = {case: [] for case in cases}
    for _ in range(runs):
        for (threads, rtt), measured in results.items():
            measured.append(
                run_consumers(config(threads), 1, messages, rtt, "--batch-size", str(batch))
            )
    for (threads, rtt), measured in results.items():
        where = f"{rtt:g} ms round trip" if rtt else "loopback"
        _record(f"Pub/Sub fake ({where}), threadsPerSubscription {threads}", "messages/s",
                measured, locked=False)  # fmt: skip


def _record(case: str, unit: str, measured: list[Measured], *, locked: bool = True) -> None:
    notes: dict[str, Any] = {"cpu_per_wall_s": [round(m.cpu_per_wall_s, 2) for m in measured]}
    if locked:
        notes["interpreter_lock_share"] = [round(m.locked_share, 2) for m in measured]
    result = record(Result("consumer scaling", case, unit, [m.per_wall_s for m in measured],
                           notes=notes))  # fmt: skip
    print(f"{'':<52} {json.dumps(result.notes)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--points", type=int, default=1_000_000, help="Kafka messages")
    parser.add_argument("--pubsub-messages", type=int, default=100_000)
    parser.add_argument("--rtt-ms", type=float, default=20.0,
                        help="simulated Pub/Sub round trip")  # fmt: skip
    parser.add_argument("--pubsub-batch", type=int, default=1000,
                        help="messages per Pub/Sub pull (the consumer's --batch-size)")  # fmt: skip
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure(["kafka", "pubsub"])
    cases: list[Callable[[], None]] = [
        lambda: kafka_cases(args.points, args.runs),
        lambda: pubsub_cases(args.pubsub_messages, args.runs, args.rtt_ms, args.pubsub_batch),
    ]
    for case in cases:
        case()


if __name__ == "__main__":
    main()
