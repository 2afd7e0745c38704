"""``heroic node``: points consumed from Kafka are queryable through the API of the same process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml
from confluent_kafka import Producer

from heroic_testenv.procs import free_port
from tests.integration.node_queries import wait_for_values

pytestmark = pytest.mark.kafka
HEROIC = str(Path(sys.executable).with_name("heroic"))


def _config(path: Path, topic: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "metrics": {"backends": [{"type": "memory"}]},
                "metadata": {"backends": [{"type": "memory"}]},
                "suggest": {"backends": [{"type": "memory"}]},
                "consumers": [
                    {
                        "type": "kafka",
                        "schema": "com.spotify.heroic.consumer.schemas.Spotify100",
                        "topics": [topic],
                        "config": {
                            "bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"],
                            "group.id": f"node-{topic}",
                            "auto.offset.reset": "earliest",
                        },
                    }
                ],
            }
        )
    )
    return path


def test_consumed_points_are_queryable_and_sigterm_stops_cleanly(tmp_path: Path) -> None:
    topic = f"node-{uuid.uuid4().hex[:8]}"
    now = int(time.time() * 1000) - 120_000
    producer = Producer({"bootstrap.servers": os.environ["KAFKA_BOOTSTRAP_SERVERS"]})
    for i in range(5):
        producer.produce(
            topic,
            json.dumps(
                {
                    "version": "1.1.0",
                    "key": "node-test",
                    "host": "h1",
                    "time": now + i * 1000,
                    "attributes": {"what": "x"},
                    "value": float(i),
                }
            ).encode(),
        )
    producer.produce(topic, b"{not json")
    assert producer.flush(30) == 0

    port = free_port()
    log = (tmp_path / "node.log").open("wb")
    proc = subprocess.Popen(
        [
            HEROIC,
            "node",
            "--config",
            str(_config(tmp_path / "heroic.yml", topic)),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        values = wait_for_values(port, "node-test", 5, proc, tmp_path / "node.log")
        assert values == [0.0, 1.0, 2.0, 3.0, 4.0]
        status = httpx.get(f"http://127.0.0.1:{port}/status", timeout=5)
        assert status.status_code == 200, status.text
        consumers = status.json()["consumers"]
        assert (consumers["ok"], consumers["available"], consumers["consumingThreads"]) == (
            True,
            1,
            1,
        )
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
