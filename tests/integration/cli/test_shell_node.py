"""``heroic shell --connect`` against a real ``heroic consumer`` on the test environment's Kafka,
its admin endpoint on (``shellServer``): ``pause`` stops consumption (messages produced then stay
unconsumed), ``resume`` consumes them, ``statistics`` reports both, ``ingestion-filter`` changes
what the running node writes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from tests.integration.consumer.support import ConsumerProcess, free_port

pytestmark = pytest.mark.kafka

SPOTIFY100 = "com.spotify.heroic.consumer.schemas.Spotify100"
MEMORY = {
    "metrics": {"backends": [{"type": "memory"}]},
    "metadata": {"backends": [{"type": "memory"}]},
    "suggest": {"backends": [{"type": "memory"}]},
}
CONSUMED = "heroic_consumer_messages_consumed_total"
COMMITTED = "heroic_consumer_messages_committed_total"


def _produce(topic: str, count: int, host: str = "h1") -> None:
    producer = Producer({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})
    now = int(time.time() * 1000)
    for i in range(count):
        body = {"version": "1.1.0", "key": "shell-node", "host": host, "time": now - i, "value": i}
        producer.produce(topic, json.dumps(body).encode())
    assert producer.flush(30) == 0


def _shell(port: int, *task: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "heroic_cli.main", "shell", "--connect", f"127.0.0.1:{port}"]
    return subprocess.run(
        [*command, "--", *task], capture_output=True, text=True, timeout=60, check=False
    )


def _wait(predicate: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout}s: {what}")
        time.sleep(0.2)


@pytest.fixture
def topic() -> str:
    name = f"shell-node-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})
    for future in admin.create_topics([NewTopic(name, num_partitions=1)]).values():
        future.result(30)
    return name


@pytest.fixture
def consumer(topic: str, tmp_path: Path) -> Iterator[tuple[ConsumerProcess, int]]:
    admin_port = free_port()
    kafka = {
        "type": "kafka", "schema": SPOTIFY100, "topics": [topic],
        "config": {"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
                   "group.id": f"g-{topic}", "session.timeout.ms": 6000},
    }  # fmt: skip
    config = MEMORY | {"consumers": [kafka], "shellServer": {"port": admin_port}}
    process = ConsumerProcess(config, tmp_path)
    try:
        process.wait_ready()
        yield process, admin_port
    finally:
        assert process.stop() == 0, process.logs()


def test_pause_holds_new_messages_and_resume_consumes_them(
    topic: str, consumer: tuple[ConsumerProcess, int]
) -> None:
    process, port = consumer
    _produce(topic, 5)
    _wait(lambda: process.metric(COMMITTED, source="kafka") == 5, "the first 5 committed")

    paused = _shell(port, "pause")
    assert paused.returncode == 0, paused.stderr
    assert paused.stdout.splitlines()[0] == "Pausing Consumers"
    assert process.metric("heroic_consumer_held") == 1

    _produce(topic, 7)
    time.sleep(3)  # many fetch turns: a pipeline that still consumed would have by now
    assert process.metric(CONSUMED, source="kafka") == 5, process.logs()
    statistics = _shell(port, "statistics").stdout.splitlines()
    assert f"  kafka #1 (topics: {topic}): paused" in statistics
    assert "    messages_consumed=5" in statistics

    resumed = _shell(port, "resume")
    assert resumed.returncode == 0, resumed.stderr
    _wait(lambda: process.metric(COMMITTED, source="kafka") == 12, "all 12 committed")
    statistics = _shell(port, "statistics").stdout.splitlines()
    assert f"  kafka #1 (topics: {topic}): consuming" in statistics
    assert "    messages_consumed=12" in statistics
    assert process.metric("heroic_consumer_held") == 0


def test_ingestion_filter_set_through_the_shell_drops_other_series(
    topic: str, consumer: tuple[ConsumerProcess, int]
) -> None:
    process, port = consumer
    changed = _shell(port, "ingestion-filter", "host", "=", "kept")
    assert changed.returncode == 0, changed.stderr
    assert changed.stdout == 'Updating ingestion filter to: ["=", "host", "kept"]\n'
    _produce(topic, 3, host="dropped")
    _produce(topic, 2, host="kept")
    _wait(lambda: process.metric(COMMITTED, source="kafka") == 5, "all 5 committed")
    # The dropped host's series is filtered out; only the kept host's 2 points are written.
    assert process.metric("heroic_consumer_samples_filtered_total") >= 1
    assert process.metric("heroic_consumer_points_written_total", backend="memory#0") == 2
    refused = _shell(port, "ingestion-filter", "host", "=")
    assert refused.returncode == 2
    assert "invalid filter 'host ='" in refused.stderr
    shown = _shell(port, "ingestion-filter").stdout
    assert shown == 'Current ingestion filter: ["=", "host", "kept"]\n'
