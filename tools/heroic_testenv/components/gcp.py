"""The Bigtable emulator and the Pub/Sub fake, each a gcpfakes process of its own."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from heroic_testenv.procs import free_port, log_path, port_open, spawn, wait_until


class _Fake:
    name = ""
    flag = ""
    variable = ""
    artifacts = ("gcpfakes",)

    @property
    def processes(self) -> tuple[str, ...]:
        return (self.name,)

    def start(self, run: Path, artifacts: Mapping[str, Path]) -> dict[str, str]:
        port = free_port()
        proc = spawn(
            run,
            self.name,
            [str(artifacts["gcpfakes"] / "bin" / "gcpfakes"), f"-{self.flag}={port}"],
        )
        wait_until(
            self.name, lambda: port_open(port), timeout=30, proc=proc, log=log_path(run, self.name)
        )
        return self.exports(port)

    def exports(self, port: int) -> dict[str, str]:
        return {self.variable: f"127.0.0.1:{port}"}

    def healthy(self, env: Mapping[str, str]) -> bool:
        address = env.get(self.variable, "")
        return bool(address) and port_open(int(address.rsplit(":", 1)[1]))


class Bigtable(_Fake):
    """Exports BIGTABLE_EMULATOR_HOST."""

    name = "bigtable"
    flag = "bigtable-port"
    variable = "BIGTABLE_EMULATOR_HOST"


class PubSub(_Fake):
    """Exports PUBSUB_EMULATOR_HOST and PUBSUB_PROJECT_ID."""

    name = "pubsub"
    flag = "pubsub-port"
    variable = "PUBSUB_EMULATOR_HOST"

    def exports(self, port: int) -> dict[str, str]:
        return {self.variable: f"127.0.0.1:{port}", "PUBSUB_PROJECT_ID": "heroic-testenv"}
