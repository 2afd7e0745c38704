"""A real Prometheus for the tests: loaded from OpenMetrics text with ``promtool`` or scraping,
on a free loopback port with a data directory of its own, stopped by the fixture that started it.

Processes go through ``heroic_testenv.procs`` (own process group, pid and log files in the
given directory), so a failure names the log and shows its tail.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx
import yaml

from heroic_testenv.procs import ComponentError, free_port, log_path, spawn, stop, wait_until
from heroic_testenv.prometheus import PrometheusBinaries

READY_TIMEOUT_S = 60.0
# The PromQL defaults the comparisons assume; passed explicitly so that they are visible here.
LOOKBACK = "5m"
EVALUATION_INTERVAL = "1m"  # also the default resolution of subqueries without a step


def load_openmetrics(binaries: PrometheusBinaries, text: str, data_dir: Path) -> None:
    """Write ``text`` to a file and turn it into TSDB blocks under ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    source = data_dir.parent / "data.om"
    source.write_text(text)
    argv = [str(binaries.promtool), "tsdb", "create-blocks-from", "openmetrics", "--quiet"]
    done = subprocess.run(
        [*argv, str(source), str(data_dir)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise ComponentError("promtool", f"create-blocks-from failed: {done.stderr.strip()}")


class PrometheusServer:
    """``prometheus`` with the given config (its ``global`` section merged over ours) on
    ``port`` (a free one by default); ``url`` answers once ``start`` returned."""

    def __init__(
        self,
        binaries: PrometheusBinaries,
        workdir: Path,
        config: dict[str, Any],
        name: str,
        port: int | None = None,
    ) -> None:
        self.binaries = binaries
        self.workdir = workdir
        self.name = name
        self.port = free_port() if port is None else port
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = workdir / "tsdb"
        self.config_path = workdir / f"{name}.yml"
        settings = {"evaluation_interval": EVALUATION_INTERVAL, **config.get("global", {})}
        self.config_path.write_text(yaml.safe_dump({**config, "global": settings}))

    def start(self) -> None:
        """Start the process and wait until ``/-/ready`` answers 200."""
        argv = [
            str(self.binaries.prometheus),
            f"--config.file={self.config_path}",
            f"--storage.tsdb.path={self.data_dir}",
            # Loaded data lies days in the past; the default 15d retention would be fine, but
            # blocks are never to be deleted while the tests run.
            "--storage.tsdb.retention.time=100y",
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--query.lookback-delta={LOOKBACK}",
            "--log.level=warn",
        ]
        process = spawn(self.workdir, self.name, argv)
        wait_until(
            self.name,
            lambda: httpx.get(f"{self.url}/-/ready", timeout=2).status_code == 200,
            timeout=READY_TIMEOUT_S,
            proc=process,
            log=self.log,
            interval=0.1,
        )

    @property
    def log(self) -> Path:
        return log_path(self.workdir, self.name)

    def stop(self) -> None:
        stop(self.workdir, self.name)
