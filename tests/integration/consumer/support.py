"""Helpers of the consumer end-to-end tests: a heroic.yml over the durable backends of the test
environment (Bigtable emulator for points, Elasticsearch for metadata and suggest), the consumer
as a real ``heroic consumer`` subprocess, message builders, and the check that reads every
point back through the API node (``heroic_api.main.create_app``, in process)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.config import HeroicConfig
from tests.integration.backends.search_engines import drop_prefix

SPOTIFY100 = "com.spotify.heroic.consumer.schemas.Spotify100"
HOSTS = ("h0", "h1", "h2", "h3")
Point = tuple[str, int, float]  # (host tag, timestamp, value)


@dataclass
class Workload:
    """Messages for one test: good points on a unique key, with malformed ones mixed in."""

    key: str = field(default_factory=lambda: f"it-{uuid.uuid4().hex[:10]}")
    base: int = field(default_factory=lambda: int(time.time() * 1000) - 60_000)
    good: list[Point] = field(default_factory=list)
    payloads: list[bytes] = field(default_factory=list)
    malformed: int = 0

    def build(self, count: int, malformed_every: int = 0) -> list[bytes]:
        """``count`` good messages (a malformed one after every ``malformed_every``)."""
        out: list[bytes] = []
        for i in range(count):
            host = HOSTS[i % len(HOSTS)]
            point = (host, self.base + len(self.good), float(len(self.good)))
            self.good.append(point)
            body = {"version": "1.1.0", "key": self.key, "host": host, "time": point[1]}
            out.append(json.dumps(body | {"value": point[2]}).encode())
            if malformed_every and (i + 1) % malformed_every == 0:
                self.malformed += 1
                out.append(_malformed(self.malformed))
        self.payloads += out
        return out

    def range(self) -> dict[str, Any]:
        end = self.base + len(self.good) + 1000
        return {"type": "absolute", "start": self.base - 1000, "end": end}


def _malformed(n: int) -> bytes:
    kinds = [
        b"this is not json",
        b'{"version": "1.1.0", "key": "x", "value": 1}',  # no time
        b'{"version": "9.0.0", "key": "x", "time": 5, "value": 1}',
        b"[1, 2, 3]",
    ]
    return kinds[n % len(kinds)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def backends_config(table: str, es_prefix: str) -> dict[str, Any]:
    """Bigtable (emulator) metrics and Elasticsearch metadata/suggest, all self-configuring."""
    es = {
        "index": {"type": "rotating", "pattern": f"{es_prefix}-%s", "interval": "7d"},
        "client": {"type": "rest", "seeds": [os.environ["ELASTICSEARCH_URL"]]},
    }
    bigtable = {
        "type": "bigtable", "project": "heroic-test", "instance": "heroic", "table": table,
        "configure": True, "emulatorEndpoint": os.environ["BIGTABLE_EMULATOR_HOST"],
    }  # fmt: skip
    return {
        "metrics": {"backends": [bigtable]},
        "metadata": {"backends": [{"type": "elasticsearch", "configure": True,
                                   "templateName": f"{es_prefix}-metadata", "connection": es}]},
        "suggest": {"backends": [{"type": "elasticsearch", "configure": True,
                                  "templateName": f"{es_prefix}-suggest", "connection": es}]},
    }  # fmt: skip


@dataclass
class Backends:
    """Unique names of the stores one test uses; ``cleanup`` drops them."""

    table: str = field(default_factory=lambda: f"it-{uuid.uuid4().hex[:10]}")
    es_prefix: str = field(default_factory=lambda: f"it-{uuid.uuid4().hex[:10]}")

    def config(self, consumer: dict[str, Any]) -> dict[str, Any]:
        return backends_config(self.table, self.es_prefix) | {"consumers": [consumer]}

    def cleanup(self) -> None:
        from google.cloud.bigtable import Client  # noqa: PLC0415

        drop_prefix(os.environ["ELASTICSEARCH_URL"], f"{self.es_prefix}-")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Connecting to Bigtable emulator")
            table = Client(project="heroic-test", admin=True).instance("heroic").table(self.table)
            if table.exists():
                table.delete()


class ConsumerProcess:
    """``heroic consumer --config FILE`` as a subprocess with its probe port."""

    def __init__(self, config: dict[str, Any], workdir: Path, *args: str) -> None:
        self.port = free_port()
        self.config_path = workdir / f"heroic-{self.port}.yml"
        self.config_path.write_text(yaml.safe_dump(config | {"port": self.port}))
        self.log_path = workdir / f"consumer-{self.port}.log"
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-m", "heroic_cli.main", "consumer",
                   "--config", str(self.config_path), "--host", "127.0.0.1", *args]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)

    def get(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise AssertionError(f"consumer exited with {code}: {self.logs()}")
            try:
                if self.get("/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"consumer not ready in {timeout}s: {self.logs()}")

    def metric(self, name: str, **labels: str) -> float:
        """One sample of ``/metrics`` (0 when absent or not serving yet)."""
        try:
            _, text = self.get("/metrics")
        except OSError:
            return 0.0
        want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        prefix = f"{name}{{{want}}} " if labels else f"{name} "
        for line in text.splitlines():
            if line.startswith(prefix):
                return float(line[len(prefix) :])
        return 0.0

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self._wait(timeout)

    def kill(self) -> None:
        self.process.kill()
        self._wait(10)

    def _wait(self, timeout: float) -> int:
        try:
            return self.process.wait(timeout)
        finally:
            self._log.close()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]


def query_points(client: TestClient, workload: Workload) -> set[Point]:
    """Every point of the workload's key, read through ``POST /query/metrics``."""
    body = {"range": workload.range(), "filter": ["key", workload.key]}
    response = client.post("/query/metrics", json=body, headers={"X-Client-Id": "it"})
    assert response.status_code == 200, response.text
    out: set[Point] = set()
    for group in response.json()["result"]:
        host = group["tags"]["host"]
        out.update((host, int(ts), float(v)) for ts, v in group["values"])
    return out


@dataclass
class Api:
    """The API node over the same backends, in process."""

    config: dict[str, Any]
    client: TestClient | None = None

    def __enter__(self) -> Api:
        app = create_app(HeroicConfig.from_dict(self.config | {"consumers": []}))
        self.client = TestClient(app)
        self.client.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.client is not None
        self.client.__exit__(*exc)

    def wait_for_points(self, workload: Workload, timeout: float = 120) -> set[Point]:
        """Poll until every good point is visible (or the timeout); returns what was seen."""
        assert self.client is not None
        deadline = time.monotonic() + timeout
        expected = set(workload.good)
        seen: set[Point] = set()
        while time.monotonic() < deadline:
            seen = query_points(self.client, workload)
            if seen >= expected:
                return seen
            time.sleep(0.5)
        return seen


def batches(items: list[bytes], size: int) -> Iterator[list[bytes]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
