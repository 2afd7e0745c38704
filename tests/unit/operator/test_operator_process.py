"""The operator process around the reconciler: CLI options, kubeconfig login, rollout reasons,
and the health/metrics endpoints."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import httpx
import pytest
import yaml

from heroic_cli.main import parse
from heroic_operator.process import cli
from heroic_operator.process.app import OperatorConfig
from heroic_operator.process.login import connection_from_kubeconfig
from heroic_operator.process.server import bound_port, make_app, start_server
from heroic_operator.reconcile.plan import rollout_reason


def operator_config(
    *argv: str, env: str | None = None, monkeypatch: pytest.MonkeyPatch
) -> OperatorConfig:
    for name in ("WATCH_NAMESPACES", "HEROIC_OPERATOR_NAMESPACES"):
        monkeypatch.delenv(name, raising=False)
    if env is not None:
        monkeypatch.setenv("WATCH_NAMESPACES", env)
    _, settings = parse(["operator", *argv])
    assert isinstance(settings, cli.OperatorSettings)
    return settings.operator_config()


@pytest.mark.parametrize(
    ("argv", "env", "namespaces"),
    [
        ((), None, []),
        (("-n", "a"), None, ["a"]),
        (("-n", "a", "--namespace", "b"), None, ["a", "b"]),
        ((), "x, y", ["x", "y"]),
        (("-n", "a"), "x", ["a"]),
        (("-A",), "x", []),
    ],
    ids=["all-by-default", "one", "list", "env", "flag-beats-env", "all-explicit"],
)
def test_namespace_selection(
    argv: tuple[str, ...], env: str | None, namespaces: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert operator_config(*argv, env=env, monkeypatch=monkeypatch).namespaces == namespaces


def test_namespace_and_all_namespaces_conflict(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as exited:
        operator_config("-n", "a", "-A", monkeypatch=monkeypatch)
    assert exited.value.code == 2


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    config = operator_config(monkeypatch=monkeypatch)
    assert (config.port, config.workers, config.resync_seconds, config.leader_election) == (
        8080,
        8,
        300.0,
        False,
    )


def test_kubeconfig_login_with_token_and_relative_ca(tmp_path: Path) -> None:
    (tmp_path / "ca.crt").write_text("x")
    config = {
        "current-context": "c",
        "contexts": [{"name": "c", "context": {"cluster": "k", "user": "u", "namespace": "n"}}],
        "clusters": [
            {
                "name": "k",
                "cluster": {"server": "https://k:6443", "certificate-authority": "ca.crt"},
            }
        ],
        "users": [{"name": "u", "user": {"token": "t0k"}}],
    }
    path = tmp_path / "config"
    path.write_text(yaml.safe_dump(config))
    info = connection_from_kubeconfig(str(path))
    assert (info.server, info.token, info.default_namespace) == ("https://k:6443", "t0k", "n")
    assert info.ca_path == str(tmp_path / "ca.crt")


def _deployment(config: str, secrets: str | None = None) -> dict[str, object]:
    annotations = {"heroic.dev/config-hash": config}
    if secrets is not None:
        annotations["heroic.dev/secrets-hash"] = secrets
    return {"kind": "Deployment", "spec": {"template": {"metadata": {"annotations": annotations}}}}


@pytest.mark.parametrize(
    ("desired", "live", "reason"),
    [
        (_deployment("a"), _deployment("a"), ""),
        (_deployment("b"), _deployment("a"), "config"),
        (_deployment("a", "s2"), _deployment("a", "s1"), "Secrets"),
        (_deployment("b", "s2"), _deployment("a", "s1"), "config and Secrets"),
        (_deployment("a"), None, ""),
    ],
)
def test_rollout_reason(
    desired: dict[str, object], live: dict[str, object] | None, reason: str
) -> None:
    assert rollout_reason(desired, live) == reason


def test_health_readiness_and_metrics() -> None:
    async def scenario() -> tuple[int, int, int, int, str]:
        ready = {"value": False}
        runner = await start_server(make_app(lambda: True, lambda: ready["value"]), "127.0.0.1", 0)
        base = f"http://127.0.0.1:{bound_port(runner)}"
        async with httpx.AsyncClient() as client:
            health = (await client.get(f"{base}/healthz")).status_code
            not_ready = (await client.get(f"{base}/readyz")).status_code
            ready["value"] = True
            now_ready = (await client.get(f"{base}/readyz")).status_code
            metrics = await client.get(f"{base}/metrics")
        await runner.cleanup()
        return health, not_ready, now_ready, metrics.status_code, metrics.text

    health, not_ready, now_ready, code, text = asyncio.run(scenario())
    assert (health, not_ready, now_ready, code) == (200, 503, 200, 200)
    assert "heroic_operator_api_writes_total" in text


def test_objects_alive_at_start_are_left_out_of_garbage_collection() -> None:
    threshold = gc.get_threshold()
    alive: list[object] = []  # a container the collector tracks, alive at start
    try:
        cli.tune_garbage_collection()
        assert gc.get_freeze_count() > 0
        assert not any(o is alive for o in gc.get_objects())
        assert gc.get_threshold()[0] == cli.GC_YOUNG_THRESHOLD
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
