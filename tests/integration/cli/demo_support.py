"""Helpers of the ``make run`` tests: wait for a line of the demo's output, query its API."""

from __future__ import annotations

import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest


def wait_for_output(
    log: Path, pattern: re.Pattern[str], proc: subprocess.Popen[bytes], timeout: float = 180
) -> str:
    """The first group of ``pattern`` once it appears in the demo's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        found = pattern.search(text)
        if found:
            return found.group(1)
        assert proc.poll() is None, f"make run exited early:\n{text[-3000:]}"
        time.sleep(0.5)
    pytest.fail(f"no {pattern.pattern!r} in the output:\n{log.read_text()[-3000:]}")


def query(url: str, hql: str) -> list[dict[str, Any]]:
    """The result groups of an HQL query through the demo's API."""
    response = httpx.post(
        f"{url}/query/metrics",
        content=hql,
        headers={"x-client-id": "test", "content-type": "text/plain"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    groups: list[dict[str, Any]] = response.json()["result"]
    return groups


def ctrl_c(proc: subprocess.Popen[bytes]) -> None:
    """Stop the demo as a person would (SIGINT); it must exit 0 within two minutes."""
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=120) == 0


def reap(proc: subprocess.Popen[bytes]) -> None:
    """Kill the demo if a failed test left it running."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
