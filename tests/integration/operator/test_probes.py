"""The probes of the pods the operator builds are served by the processes those pods run.

kwok marks pods Ready without probing them, so this runs each Deployment's command for real,
with the heroic.yml the operator rendered for it (memory backends, the test environment's
Kafka), and asks its readiness and liveness probes the way the kubelet would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from heroic_operator import naming
from heroic_operator.desired.builders.workloads import build_deployment
from heroic_operator.desired.components import components
from heroic_operator.spec import parse_cluster
from heroic_testenv.procs import free_port
from tests.integration.operator.support import manifest

pytestmark = pytest.mark.kafka


def probe_ok(probe: dict[str, Any], port: int) -> bool:
    """One kubelet-style probe against 127.0.0.1 (the named port ``http`` is ``port``)."""
    if "httpGet" in probe:
        assert probe["httpGet"]["port"] == "http"
        try:
            response = httpx.get(f"http://127.0.0.1:{port}{probe['httpGet']['path']}", timeout=5)
        except httpx.TransportError:
            return False
        return 200 <= response.status_code < 400
    assert probe["tcpSocket"]["port"] == "http"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return True
    except OSError:
        return False


def test_every_deployment_answers_its_own_probes(tmp_path: Path) -> None:
    servers = os.environ["KAFKA_BOOTSTRAP_SERVERS"]
    topic = f"probes-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": servers})
    admin.create_topics([NewTopic(topic, 1)])[topic].result(30)
    kafka = {"bootstrapServers": [servers], "topics": [topic]}
    body = manifest("memory", "probed", consumers=[{"name": "main", "source": {"kafka": kafka}}])
    body["metadata"] |= {"namespace": "ns", "uid": "u", "generation": 1}
    cluster = parse_cluster(body)
    checked = []
    for component in components(cluster):
        deployment = build_deployment(cluster, component, config_hash="h", secrets_hash="h")
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        config = tmp_path / f"{component.name}.yml"
        config.write_text(component.rendered.text)
        command = [str(config) if a == naming.CONFIG_FILE else a for a in container["command"]]
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "heroic_cli.main", *command[1:], "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"{component.name}.log").open("w"),
        )
        try:
            deadline = time.monotonic() + 60
            probes = [container["readinessProbe"], container["livenessProbe"]]
            while not all(probe_ok(p, port) for p in probes):
                assert process.poll() is None, (tmp_path / f"{component.name}.log").read_text()
                assert time.monotonic() < deadline, f"{component.name}: probes {probes} fail"
                time.sleep(0.5)
        finally:
            process.terminate()
            process.wait(30)
        checked.append(component.name)
    assert checked == ["api", "consumer-main"]
