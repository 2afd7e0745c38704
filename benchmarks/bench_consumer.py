"""Consumer throughput: points per second from the local Kafka, and the ratio to the ceiling.

On one topic (3 partitions) filled with ``--messages`` Spotify100 JSON messages (one point each,
``--series`` distinct series), measured in the same run:

* ceiling — a bare confluent-kafka loop: ``consume(1000)`` + ``decode_spotify100`` per message,
  nothing else (no writes, no commits);
* ``heroic consumer`` (one process, defaults) into the memory backends (metric, metadata,
  suggest);
* ``heroic consumer`` into the Bigtable emulator (metrics; metadata/suggest in memory), on the
  first ``--bigtable-messages`` messages (the emulator is slow).

A consumer's rate is the messages committed between the first sight of consumption and the
moment the last offset is committed, over that time (read from its ``/metrics`` every 100 ms),
so process start-up and group join are excluded, as for the ceiling. Goal: memory >= 0.6 of
the ceiling. Uses the test environment's Kafka and Bigtable emulator (started if the
variables are unset).

    .venv/bin/python benchmarks/bench_consumer.py [--messages 200000] [--series 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import yaml
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from heroic_consumer.decode import decode_spotify100
from heroic_testenv.runner import ensure

SPOTIFY100 = "com.spotify.heroic.consumer.schemas.Spotify100"
PARTITIONS = 3


def fill_topic(servers: str, topic: str, messages: int, series: int) -> None:
    admin = AdminClient({"bootstrap.servers": servers})
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS)])[topic].result(30)
    producer = Producer({"bootstrap.servers": servers, "linger.ms": 50})
    base = int(time.time() * 1000) - messages
    for i in range(messages):
        body = {
            "version": "1.1.0", "key": "bench.cpu", "host": f"host-{i % series}",
            "time": base + i, "value": float(i),
            "attributes": {"site": "lon", "what": "cpu-idle"},
        }  # fmt: skip
        while True:
            try:
                producer.produce(topic, json.dumps(body).encode(), partition=i % PARTITIONS)
                break
            except BufferError:
                producer.poll(0.1)
    producer.flush(120)


def ceiling(servers: str, topic: str, messages: int) -> float:
    """Points per second of a bare consume-and-decode loop."""
    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"bare-{uuid.uuid4().hex}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})  # fmt: skip
    consumer.subscribe([topic])
    seen = points = 0
    started = 0.0
    try:
        while seen < messages:
            batch = consumer.consume(num_messages=1000, timeout=1.0)
            if batch and not started:
                started = time.perf_counter()
            for message in batch:
                if message.error() is None:
                    seen += 1
                    points += len(decode_spotify100(message.value() or b""))
        elapsed = time.perf_counter() - started
    finally:
        consumer.close()
    return points / elapsed


def metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


def free_port() -> int:
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_consumer(
    backends: dict[str, Any], topic: str, servers: str, messages: int, extra: list[str]
) -> float:
    """Points per second of one ``heroic consumer`` process over the first ``messages``."""
    port = free_port()
    consumer = {
        "type": "kafka",
        "schema": SPOTIFY100,
        "topics": [topic],
        "config": {"bootstrap.servers": servers, "group.id": f"b-{uuid.uuid4().hex}"},
    }
    config = backends | {"port": port, "consumers": [consumer]}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "heroic.yml"
        path.write_text(yaml.safe_dump(config))
        command = [sys.executable, "-m", "heroic_cli.main", "consumer", "--config", str(path),
                   "--host", "127.0.0.1", "--log-level", "WARNING", *extra]  # fmt: skip
        process = subprocess.Popen(command)
        try:
            return _measure(process, port, messages)
        finally:
            process.terminate()
            process.wait(60)


def _measure(process: subprocess.Popen[bytes], port: int, messages: int) -> float:
    """Messages committed after the first sight of consumption, per second since then."""
    started = 0.0
    first = 0.0
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"heroic consumer exited with {process.returncode}")
        try:
            consumed = metric(port, "heroic_consumer_messages_consumed_total")
            committed = metric(port, "heroic_consumer_messages_committed_total")
        except OSError:
            time.sleep(0.2)
            continue
        now = time.perf_counter()
        if consumed and not started:
            started, first = now, committed
        if committed >= messages:
            return (messages - first) / (now - started)
        time.sleep(0.1)
    raise SystemExit("consumer did not finish in time")


def memory_backends() -> dict[str, Any]:
    return {section: {"backends": [{"type": "memory"}]}
            for section in ("metrics", "metadata", "suggest")}  # fmt: skip


def bigtable_backends(table: str) -> dict[str, Any]:
    bigtable = {"type": "bigtable", "project": "heroic-bench", "instance": "heroic",
                "table": table, "configure": True,
                "emulatorEndpoint": os.environ["BIGTABLE_EMULATOR_HOST"]}  # fmt: skip
    return memory_backends() | {"metrics": {"backends": [bigtable]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--bigtable-messages", type=int, default=50_000)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument(
        "--consumer-arg",
        action="append",
        default=[],
        help="extra `heroic consumer` argument (repeatable)",
    )
    args = parser.parse_args()
    ensure(["kafka", "bigtable"])
    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    print(f"filling {topic}: {args.messages} messages, {args.series} series, 3 partitions")
    fill_topic(servers, topic, args.messages, args.series)
    bare = ceiling(servers, topic, args.messages)
    print(f"ceiling (bare consume + decode)     {bare:10.0f} points/s")
    memory = run_consumer(memory_backends(), topic, servers, args.messages, args.consumer_arg)
    print(
        f"heroic consumer -> memory           {memory:10.0f} points/s  ratio {memory / bare:.2f}"
        " (goal >= 0.6)"
    )
    table = f"bench-{uuid.uuid4().hex[:8]}"
    big = run_consumer(
        bigtable_backends(table), topic, servers, args.bigtable_messages, args.consumer_arg
    )
    print(
        f"heroic consumer -> bigtable emulator {big:9.0f} points/s  ratio {big / bare:.2f}"
        f" ({args.bigtable_messages} messages)"
    )


if __name__ == "__main__":
    main()
