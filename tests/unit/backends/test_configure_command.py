"""``heroic configure`` without servers: exit codes, the one-line failure, target selection."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest

from heroic_cli import configure as command
from heroic_cli.main import main
from heroic_consumer import provision
from heroic_core.backends.errors import BackendRejectedError, BackendUnavailableError
from heroic_core.backends.results import ConfigureResult
from heroic_core.config import HeroicConfig
from heroic_core.configure import ConfigureReport, Step


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "heroic.yml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_invalid_config_is_permanent_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "metrics:\n  backends:\n    - type: bigtable\n      tablee: x\n")
    assert main(["configure", "--config", path]) == 78
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("heroic configure: permanent failure: invalid configuration")
    assert "metrics.backends[0].tablee: unknown key" in err


def test_missing_config_file_is_permanent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["configure", "--config", str(tmp_path / "missing.yml")]) == 78
    assert "cannot read configuration file" in capsys.readouterr().err


def test_invalid_keyspace_name_is_permanent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "metrics:\n  backends:\n    - type: datastax\n      schema: {keyspace: bad-name}\n",
    )
    assert main(["configure", "--config", path]) == 78
    assert "invalid cassandra keyspace name 'bad-name'" in capsys.readouterr().err


def test_memory_only_config_has_nothing_to_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["configure"]) == 0
    assert capsys.readouterr().out == "heroic configure: nothing to do (0 already exist)\n"


def test_only_skips_other_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(
        tmp_path,
        "metrics:\n  backends:\n    - type: bigtable\n      project: p\n"
        f"      emulatorEndpoint: 127.0.0.1:{closed_port()}\n",
    )
    assert main(["configure", "--config", path, "--only", "kafka"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_unknown_target_is_rejected() -> None:
    with pytest.raises(BackendRejectedError, match="unknown configure target"):
        asyncio.run(command.configure_all(HeroicConfig.default(), {"mysql"}))


@pytest.mark.parametrize(
    ("error", "code", "kind"),
    [
        (BackendUnavailableError("es: configure failed: ConnectionError"), 75, "retryable"),
        (BackendRejectedError("bigtable: PermissionDenied: no\nsecond line"), 78, "permanent"),
        (RuntimeError("boom"), 75, "retryable"),
    ],
)
def test_failures_map_to_exit_codes(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
    code: int,
    kind: str,
) -> None:
    async def failing(*args: Any, **kwargs: Any) -> ConfigureReport:
        raise error

    monkeypatch.setattr(command, "configure_all", failing)
    assert main(["configure"]) == code
    err = capsys.readouterr().err
    assert err.startswith(f"heroic configure: {kind} failure: ")
    assert err.count("\n") == 1


def test_created_items_are_listed_with_a_summary(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def fake(*args: Any, **kwargs: Any) -> ConfigureReport:
        step = Step("bigtable", "b", ConfigureResult(("bigtable table t",), ("family f",)))
        args[3](step)
        return ConfigureReport([step])

    monkeypatch.setattr(command, "configure_all", fake)
    assert main(["configure"]) == 0
    assert capsys.readouterr().out == (
        "created bigtable table t\nheroic configure: created 1, 1 already existed\n"
    )


def test_targets_are_visited_backends_first() -> None:
    assert command.TARGETS == ("bigtable", "cassandra", "elasticsearch", "pubsub", "kafka")


def test_consumer_topics_are_configured_by_the_consumer_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = HeroicConfig.from_yaml(
        "consumers:\n  - type: kafka\n    schema: com.spotify.heroic.consumer.schemas.Spotify100\n"
        "    topics: [a, b]\n"
        "    config: {bootstrap.servers: 'k:9092'}\n"
    )
    seen: list[tuple[str, ...]] = []

    def ensure(cfg: Any, timeout: float) -> ConfigureResult:
        seen.append(tuple(cfg.topics))
        return ConfigureResult(("kafka topic a",), ("kafka topic b",))

    monkeypatch.setattr(provision, "_ensure_kafka", ensure)
    report = asyncio.run(command.configure_all(config, {"kafka"}))
    assert seen == [("a", "b")]
    assert [(s.target, s.name) for s in report.steps] == [("kafka", "a,b")]
    assert report.created == ["kafka topic a"]
