"""``heroic api`` argument handling and config loading (no server is started)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import uvicorn

from heroic_api import cli
from heroic_api.main import create_app
from heroic_cli.main import SUBCOMMANDS, main, parse
from heroic_core.logging import JsonFormatter


def _parse(*argv: str) -> cli.ApiSettings:
    _, settings = parse(["api", *argv])
    assert isinstance(settings, cli.ApiSettings)
    return settings


def test_version_is_the_installed_distribution(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version  # noqa: PLC0415

    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"heroic {version('heroic-on-kubernetes')}"


def test_api_subcommand_is_registered() -> None:
    assert SUBCOMMANDS["api"][0] == "heroic_api.cli"


def test_arguments_default_to_the_config() -> None:
    args = _parse()
    assert (args.config, args.host, args.port) == (None, None, None)


def test_arguments_override_host_and_port() -> None:
    args = _parse("--config", "h.yml", "--host", "127.0.0.1", "--port", "9000")
    assert (args.config, args.host, args.port) == ("h.yml", "127.0.0.1", 9000)


def test_without_config_file_the_node_uses_memory_backends_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO, logger=cli.__name__):
        config = cli.load_config(None)
    assert [b.type for b in config.metrics.backends] == ["memory"]
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "running on memory backends" in caplog.records[0].getMessage()


def test_without_config_option_heroic_yml_in_the_working_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "heroic.yml").write_text("port: 9092\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO, logger=cli.__name__):
        config = cli.load_config(None)
    assert config.port == 9092
    assert "Using ./heroic.yml" in caplog.records[0].getMessage()


def test_an_invalid_heroic_yml_in_the_working_directory_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "heroic.yml").write_text("port: many\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert cli.run(_parse()) == 2


def test_config_file_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "heroic.yml"
    path.write_text("port: 9091\nmetrics:\n  groupLimit: 7\n", encoding="utf-8")
    config = cli.load_config(str(path))
    assert (config.port, config.metrics.group_limit) == (9091, 7)


def test_invalid_config_exits_with_code_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "heroic.yml"
    path.write_text("port: many\n", encoding="utf-8")
    assert cli.run(_parse("--config", str(path))) == 2


def test_json_log_lines_carry_extra_context() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    record.topic = "metrics"
    line = json.loads(JsonFormatter().format(record))
    assert (line["message"], line["level"], line["logger"], line["topic"]) == (
        "hello you",
        "INFO",
        "x",
        "metrics",
    )


def test_exit_signal_flags_the_app_as_stopping_before_uvicorn_drains() -> None:
    app = create_app()
    server = cli.HeroicServer(uvicorn.Config(app), app.state.heroic)
    server.handle_exit(15, None)
    assert app.state.heroic.stopping is True
    assert server.should_exit is True
