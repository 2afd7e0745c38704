"""Asking a running ``heroic node`` (or ``heroic api``) process for the points of one key."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import httpx

LAST_TEN_MINUTES = {"type": "relative", "unit": "MINUTES", "value": 10}


def wait_for_values(
    port: int, key: str, count: int, process: subprocess.Popen[bytes], log: Path
) -> list[float]:
    """The sorted values of ``key`` over the last ten minutes, polled until there are ``count``
    of them or a minute passed; fails at once (with the log's tail) if the process exits."""
    query = {"range": LAST_TEN_MINUTES, "filter": ["key", key]}
    values: list[float] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(values) < count:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            response = httpx.post(
                f"http://127.0.0.1:{port}/query/metrics",
                json=query,
                headers={"x-client-id": "test"},
                timeout=5,
            )
        except httpx.TransportError:
            time.sleep(0.5)
            continue
        assert response.status_code == 200, response.text
        values = sorted(v for g in response.json()["result"] for _, v in g["values"])
        time.sleep(0.5)
    return values
