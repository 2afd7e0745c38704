"""Kafka with a SASL/PLAIN login, for real: the test environment's broker has a second listener
that asks for one. The config the operator renders for a consumer group whose password comes
from a Secret (``configFromSecrets``) consumes from it once the pod's variable is set, and
``heroic configure`` creates topics through it; a wrong password is a permanent failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from heroic_operator.desired.components import components, configure_targets
from heroic_operator.spec import Cluster, parse_cluster
from heroic_testenv.procs import free_port
from tests.integration.backends.test_configure import heroic_configure
from tests.integration.node_queries import wait_for_values

pytestmark = pytest.mark.kafka


@pytest.fixture
def sasl() -> dict[str, str]:
    names = ("KAFKA_SASL_BOOTSTRAP_SERVERS", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD")
    if not all(os.environ.get(n) for n in names):
        pytest.skip("no SASL listener: KAFKA_SASL_* are set only by the test environment's Kafka")
    return {n: os.environ[n] for n in names}


def client_settings(sasl: dict[str, str], password: str | None = None) -> dict[str, str]:
    return {
        "bootstrap.servers": sasl["KAFKA_SASL_BOOTSTRAP_SERVERS"],
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "PLAIN",
        "sasl.username": sasl["KAFKA_SASL_USERNAME"],
        "sasl.password": password or sasl["KAFKA_SASL_PASSWORD"],
    }


def cluster_reading(sasl: dict[str, str], topic: str) -> Cluster:
    """A HeroicCluster on memory backends whose consumer group logs in with a Secret."""
    kafka = {
        "bootstrapServers": [sasl["KAFKA_SASL_BOOTSTRAP_SERVERS"]],
        "topics": [topic],
        "config": {
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN",
            "sasl.username": sasl["KAFKA_SASL_USERNAME"],
            "auto.offset.reset": "earliest",
        },
        "configFromSecrets": [
            {"key": "sasl.password", "secretKeyRef": {"name": "kafka-login", "key": "password"}}
        ],
        "createTopics": {"partitions": 2},
    }
    group = {"name": "main", "source": {"kafka": kafka}}
    meta = {"name": "sasl", "namespace": "ns", "uid": "u", "generation": 1}
    return parse_cluster({"metadata": meta, "spec": {"image": "heroic:test", "consumers": [group]}})


def pod_env(rendered: Any, password: str) -> dict[str, str]:
    """The variables a pod gets from its Secrets (here: the one Kafka password)."""
    (use,) = rendered.secrets
    assert use.env is not None
    assert password not in rendered.text
    return {use.env: password}


def local(port: int) -> list[str]:
    return ["--host", "127.0.0.1", "--port", str(port)]


def test_the_rendered_consumer_reads_through_the_sasl_listener(
    sasl: dict[str, str], tmp_path: Path
) -> None:
    from confluent_kafka import Producer  # noqa: PLC0415

    topic = f"sasl-{uuid.uuid4().hex[:8]}"
    cluster = cluster_reading(sasl, topic)
    (target,) = [t for t in configure_targets(cluster) if t.key == "kafka-main"]
    code, output = heroic_configure(
        yaml.safe_load(target.rendered.text),
        tmp_path,
        env=pod_env(target.rendered, sasl["KAFKA_SASL_PASSWORD"]),
    )
    assert code == 0, output
    assert f"created kafka topic {topic}" in output

    now = int(time.time() * 1000) - 60_000
    producer = Producer(client_settings(sasl))
    for i in range(3):
        point = {"version": "1.1.0", "key": "sasl-probe", "host": "h", "time": now + i, "value": i}
        producer.produce(topic, json.dumps(point).encode())
    assert producer.flush(30) == 0

    consumer = next(c for c in components(cluster) if c.name == "consumer-main")
    config = tmp_path / "consumer.yml"
    config.write_text(consumer.rendered.text)
    port = free_port()
    log = tmp_path / "node.log"
    node = subprocess.Popen(
        [sys.executable, "-m", "heroic_cli.main", "node", "--config", str(config), *local(port)],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **pod_env(consumer.rendered, sasl["KAFKA_SASL_PASSWORD"])},
    )
    try:
        assert wait_for_values(port, "sasl-probe", 3, node, log) == [0.0, 1.0, 2.0]
    finally:
        node.terminate()
        node.wait(60)


def test_a_wrong_password_is_a_permanent_configure_failure(
    sasl: dict[str, str], tmp_path: Path
) -> None:
    cluster = cluster_reading(sasl, f"sasl-bad-{uuid.uuid4().hex[:8]}")
    (target,) = [t for t in configure_targets(cluster) if t.key == "kafka-main"]
    code, output = heroic_configure(
        yaml.safe_load(target.rendered.text),
        tmp_path,
        "--timeout",
        "10",
        env=pod_env(target.rendered, "not-the-password"),
    )
    assert code == 78, output
    assert output.startswith("heroic configure: permanent failure: kafka")
    assert "authentication" in output.lower()


def test_a_refused_login_makes_the_consumer_unready_without_flooding_its_log(
    sasl: dict[str, str], tmp_path: Path
) -> None:
    cluster = cluster_reading(sasl, f"sasl-refused-{uuid.uuid4().hex[:8]}")
    consumer = next(c for c in components(cluster) if c.name == "consumer-main")
    config = tmp_path / "consumer.yml"
    config.write_text(consumer.rendered.text)
    port = free_port()
    log = tmp_path / "consumer.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "heroic_cli.main",
            "consumer",
            "--config",
            str(config),
            *local(port),
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, **pod_env(consumer.rendered, "not-the-password")},
    )
    try:
        deadline = time.monotonic() + 30
        detail = ""
        while "_AUTHENTICATION" not in detail:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"/readyz said {detail!r}"
            time.sleep(0.5)
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
            except httpx.TransportError:
                continue
            detail = response.text if response.status_code == 503 else ""
        time.sleep(5)  # librdkafka keeps retrying the login several times a second
        lines = log.read_text().splitlines()
        refusals = [line for line in lines if "_AUTHENTICATION" in line]
        assert 1 <= len(refusals) <= 2, refusals
        assert not [line for line in lines if line.startswith("%")]  # librdkafka's own lines
    finally:
        process.terminate()
        process.wait(60)
