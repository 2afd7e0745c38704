"""``heroic api --workers 2`` on Cassandra and Elasticsearch of the test environment: two worker
processes serve one port, every answer agrees whichever worker gives it, and SIGTERM stops all
of them cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from tests.integration.backends.search_engines import drop_prefix
from tests.integration.backends.test_metric_contract import drop_keyspace

pytestmark = [pytest.mark.cassandra, pytest.mark.elasticsearch]

CLIENT = {"x-client-id": "workers-test"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(port: int, name: str) -> dict[str, object]:
    seeds = [os.environ["ELASTICSEARCH_URL"]]

    def elasticsearch(kind: str) -> dict[str, object]:
        index = {"type": "rotating", "pattern": f"{name}-{kind}-%s"}
        connection = {"index": index, "client": {"type": "rest", "seeds": seeds}}
        return {"type": "elasticsearch", "templateName": f"{name}-{kind}", "configure": True,
                "connection": connection}  # fmt: skip

    schema = {"type": "ng", "keyspace": name.replace("-", "_"),
              "replication": {"class": "SimpleStrategy", "replication_factor": 1}}  # fmt: skip
    datastax = {"type": "datastax", "seeds": [os.environ["CASSANDRA_CONTACT_POINTS"]],
                "configure": True, "schema": schema}  # fmt: skip
    return {
        "port": port,
        "metrics": {"backends": [datastax]},
        "metadata": {"backends": [elasticsearch("m")]},
        "suggest": {"backends": [elasticsearch("s")]},
    }


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _is_worker(pid: int) -> bool:
    try:
        return "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return False


def test_two_workers_serve_one_port_and_stop_on_sigterm(tmp_path: Path) -> None:
    port, name = _free_port(), f"workers-{uuid.uuid4().hex[:8]}"
    path = tmp_path / "heroic.yml"
    path.write_text(yaml.safe_dump(_config(port, name)), encoding="utf-8")
    log = tmp_path / "api.log"
    command = [sys.executable, "-m", "heroic_cli.main", "api", "--config", str(path),
               "--host", "127.0.0.1", "--workers", "2"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.3)
        assert len([p for p in _children(process.pid) if _is_worker(p)]) == 2

        now = int(time.time() * 1000)
        point = {"series": {"key": name, "tags": {"host": "a"}},
                 "data": {"type": "points", "data": [[now, 42.0]]}}  # fmt: skip
        assert httpx.post(f"{url}/write", json=point, timeout=30).status_code == 200
        query = {"range": {"type": "relative", "unit": "MINUTES", "value": 5},
                 "filter": ["key", name]}  # fmt: skip
        deadline = time.monotonic() + 30
        answers: list[list[float]] = []
        # Fresh connections, so the kernel hands them to either worker.
        while len(answers) < 10:
            response = httpx.post(f"{url}/query/metrics", json=query, headers=CLIENT, timeout=30)
            assert response.status_code == 200, response.text
            values = [v for g in response.json()["result"] for _, v in g["values"]]
            answers = [*answers, values] if values else []  # until the index is refreshed
            assert time.monotonic() < deadline, "the point never became visible"
        assert all(values == [42.0] for values in answers)

        process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        assert "Stopping parent process" in log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        drop_keyspace(name.replace("-", "_"))
        _drop_indices(name)


def _drop_indices(name: str) -> None:
    drop_prefix(os.environ["ELASTICSEARCH_URL"], f"{name}-")
