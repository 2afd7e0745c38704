"""Federated sites for the cluster tests: real ``heroic api`` processes on loopback ports, each
with its own backends, sharing a node-protocol token, writing and querying over HTTP.

A ``Node`` is one process; a ``Site`` is the nodes of one shard (same ``cluster.tags``). Every
node federates over the same static list (or SRV records), so a query through any of them
reaches every site. Data goes in through ``POST /write`` to every node of a site.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

HEROIC = str(Path(sys.executable).with_name("heroic"))
TOKEN = "s3cret-node-token"  # a test token, written to a file as a Secret would be
CLIENT = {"x-client-id": "cluster-test"}
START = 1_700_000_040_000  # a whole minute: buckets of 1m line up with the points
MINUTE = 60_000
RANGE = {"type": "absolute", "start": START, "end": START + 10 * MINUTE}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Node:
    """One ``heroic api`` process."""

    name: str
    port: int
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [HEROIC, "api", "--config", str(self.config), "--host", "127.0.0.1",
                 "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "HEROIC_API_LOG_LEVEL": "INFO"},
            )  # fmt: skip

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            assert self.process.poll() is None, self.tail()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"{self.name} did not start:\n{self.tail()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # in case a test paused it
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def post(self, path: str, body: Any, **headers: str) -> httpx.Response:
        return httpx.post(f"{self.url}{path}", json=body, headers={**CLIENT, **headers},
                          timeout=60)  # fmt: skip


@dataclass
class Site:
    """The nodes of one shard."""

    tags: dict[str, str]
    nodes: list[Node] = field(default_factory=list)

    def write(self, key: str, tags: dict[str, str], points: list[list[float]]) -> None:
        body = {"series": {"key": key, "tags": tags}, "data": {"type": "points", "data": points}}
        for node in self.nodes:
            response = node.post("/write", body)
            assert response.status_code == 200, response.text


def memory_backends() -> dict[str, Any]:
    return {
        "metrics": {"backends": [{"type": "memory"}]},
        "metadata": {"backends": [{"type": "memory"}]},
        "suggest": {"backends": [{"type": "memory"}]},
    }


def cassandra_backends(keyspace: str) -> dict[str, Any]:
    schema = {
        "type": "ng",
        "keyspace": keyspace,
        "replication": {"class": "SimpleStrategy", "replication_factor": 1},
    }
    datastax = {
        "type": "datastax",
        "seeds": [os.environ["CASSANDRA_CONTACT_POINTS"]],
        "configure": True,
        "schema": schema,
    }
    return {**memory_backends(), "metrics": {"backends": [datastax]}}


def http_protocol(token_file: Path, **extra: Any) -> dict[str, Any]:
    return {"type": "http", "tokenFile": str(token_file), **extra}


def write_config(
    path: Path, tags: dict[str, str], backends: dict[str, Any], cluster: dict[str, Any]
) -> Path:
    config = {**backends, "cluster": {"tags": tags, **cluster}}
    path.write_text(yaml.safe_dump(config))
    return path


def token_file(directory: Path) -> Path:
    path = directory / "node-token"
    path.write_text(TOKEN + "\n")
    return path


def start_all(nodes: list[Node]) -> None:
    for node in nodes:
        node.start()
    for node in nodes:
        node.wait_ready()


def series_of(answer: dict[str, Any]) -> list[tuple[Any, ...]]:
    """(shard, tags, values) of every result group, sorted: comparable across answers."""
    return sorted(
        (sorted(g["shard"].items()), sorted(g["tags"].items()), [tuple(v) for v in g["values"]])
        for g in answer["result"]
    )


def wait_for_shards(node: Node, count: int, timeout: float = 30.0) -> dict[str, Any]:
    """``/cluster/status`` once ``count`` distinct shards are online (refreshing meanwhile)."""
    deadline = time.monotonic() + timeout
    status: dict[str, Any] = {}
    while time.monotonic() < deadline:
        status = httpx.post(f"{node.url}/cluster/refresh", timeout=30).json()
        shards = {tuple(sorted(n["tags"].items())) for n in status.get("nodes", [])}
        if len(shards) >= count:
            return status
        time.sleep(0.3)
    raise AssertionError(f"{node.name} sees {status}")
