"""``heroic api --workers N``: the setting, the configurations it refuses, and what a worker
process is given (no process is started here; tests/integration/api/test_workers.py does)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from heroic_api import cli, workers
from heroic_api.main import create_app
from heroic_cli.main import parse
from heroic_core.config import HeroicConfig


def _parse(*argv: str) -> cli.ApiSettings:
    _, settings = parse(["api", *argv])
    assert isinstance(settings, cli.ApiSettings)
    return settings


def test_one_worker_by_default_and_more_by_flag_or_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _parse().workers == 1
    assert _parse("--workers", "4").workers == 4
    monkeypatch.setenv("HEROIC_API_WORKERS", "3")
    assert _parse().workers == 3


def test_zero_workers_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exited:
        _parse("--workers", "0")
    assert exited.value.code == 2


def test_memory_backends_are_refused_naming_them() -> None:
    reason = workers.refusal(HeroicConfig.default(), 2)
    assert reason is not None
    assert reason.startswith("--workers 2 needs backends the worker processes share")
    assert "metrics.backends[0], metadata.backends[0], suggest.backends[0]" in reason
    assert workers.refusal(HeroicConfig.default(), 1) is None


def test_the_shell_server_is_refused() -> None:
    config = HeroicConfig.from_dict(
        {
            "metrics": {"backends": [{"type": "datastax", "seeds": ["db:9042"]}]},
            "metadata": {"backends": []},
            "suggest": {"backends": []},
            "shellServer": {"port": 9190},
        }
    )
    reason = workers.refusal(config, 3)
    assert reason is not None
    assert "cannot serve shellServer" in reason


def test_heroic_api_exits_2_when_its_workers_would_not_share_data(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "heroic.yml"
    path.write_text("metrics:\n  backends: [{type: memory, id: mine}]\n", encoding="utf-8")
    assert cli.run(_parse("--config", str(path), "--workers", "2")) == 2
    assert "but metrics.backends[0] (type: memory) keep their data" in capfd.readouterr().err


def test_workers_get_the_settings_of_the_parent_in_their_variables(tmp_path: Path) -> None:
    settings = _parse("--config", str(tmp_path / "h.yml"), "--workers", "2", "--log-level", "DEBUG")
    assert workers._environment(settings) == {
        "HEROIC_API_CONFIG": str(tmp_path / "h.yml"),
        "HEROIC_API_LOG_LEVEL": "DEBUG",
        "HEROIC_API_WORKERS": "2",
    }


def test_a_worker_flags_its_application_stopping_on_the_exit_signal() -> None:
    app = create_app()
    exits: list[int] = []
    previous_int = signal.getsignal(signal.SIGINT)
    previous = signal.signal(signal.SIGTERM, lambda sig, frame: exits.append(sig))
    try:
        workers._mark_stopping_on_exit(app.state.heroic)
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler)
        handler(signal.SIGTERM, None)
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, previous_int)
    assert app.state.heroic.stopping is True
    assert exits == [signal.SIGTERM]
