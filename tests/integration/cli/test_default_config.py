"""``heroic api`` and ``heroic node`` without ``--config``: they read ``./heroic.yml`` when it
exists (as upstream) and otherwise say that they run on memory backends. Real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from heroic_testenv.procs import free_port

HEROIC = str(Path(sys.executable).with_name("heroic"))
COMMANDS = ["api", "node"]


@contextmanager
def _running(command: str, cwd: Path, *args: str) -> Iterator[Path]:
    """``heroic <command>`` in ``cwd`` (no ``--config``), stopped with SIGTERM on exit."""
    log_path = cwd / f"{command}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEROIC_")}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [HEROIC, command, "--host", "127.0.0.1", *args],
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield log_path
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_for_status(port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/status", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"no answer on port {port}; log:\n{log.read_text(errors='replace')[-3000:]}")


def _messages(log: Path) -> list[str]:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.startswith("{")]
    return [json.loads(line)["message"] for line in lines]


@pytest.mark.parametrize("command", COMMANDS)
def test_heroic_yml_in_the_working_directory_is_read(tmp_path: Path, command: str) -> None:
    port = free_port()  # only the file names it: answering there proves the file was read
    (tmp_path / "heroic.yml").write_text(f"port: {port}\nid: from-cwd\n", encoding="utf-8")
    with _running(command, tmp_path) as log:
        _wait_for_status(port, log)
        assert "Using ./heroic.yml (no --config given)" in _messages(log)


@pytest.mark.parametrize("command", COMMANDS)
def test_without_heroic_yml_the_node_says_it_runs_on_memory(tmp_path: Path, command: str) -> None:
    port = free_port()
    with _running(command, tmp_path, "--port", str(port)) as log:
        _wait_for_status(port, log)
        messages = _messages(log)
    assert any("running on memory backends" in m for m in messages), messages
