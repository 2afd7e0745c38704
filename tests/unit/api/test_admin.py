"""The API node under the shell's control (``ApiControl``): the ingestion filter ``POST /write``
applies can be replaced while the node runs, the request counters are the node's, it runs no
consumers; ``heroic api`` refuses an admin endpoint bound beyond loopback without a token."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from heroic_api import cli
from heroic_api.admin import ApiControl
from heroic_api.context import ApiContext
from heroic_api.main import create_app
from heroic_core.admin.tasks import NodeTaskRunner
from heroic_core.config import HeroicConfig
from heroic_core.hql import parse_filter

POINT = {"type": "points", "data": [[1000, 1.0]]}


def _write(client: TestClient, host: str) -> int:
    body = {"series": {"key": "cpu", "tags": {"host": host}}, "data": POINT}
    response = client.post("/write", json=body)
    assert response.status_code == 200
    return len(response.json()["times"])  # one per backend written; none when filtered


def test_replaced_ingestion_filter_applies_to_the_next_write() -> None:
    document = HeroicConfig.default().to_dict() | {"ingestion": {"filter": "host = a"}}
    app = create_app(HeroicConfig.from_dict(document))
    control = ApiControl(app.state.heroic)
    with TestClient(app) as client:
        assert control.ingestion_filter().to_json() == ["=", "host", "a"]
        assert _write(client, "b") == 0
        control.set_ingestion_filter(parse_filter("host = b"))
        assert _write(client, "b") == 3
        assert _write(client, "a") == 0


def test_request_counters_count_the_public_requests() -> None:
    app = create_app()
    context: ApiContext = app.state.heroic
    with TestClient(app) as client:
        client.get("/status")
        client.get("/status")
    counters = ApiControl(context).request_counters()
    assert counters["http_requests{endpoint=/status,method=GET,status=200}"] == 2
    assert counters["http_request_duration_seconds_count{endpoint=/status,method=GET}"] == 2


@pytest.mark.anyio
async def test_pause_on_the_api_node_fails_saying_it_runs_no_consumers() -> None:
    class Lines:
        def __init__(self) -> None:
            self.err: list[str] = []

        def line(self, text: str = "") -> None:
            raise AssertionError(text)

        def note(self, text: str) -> None:
            self.err.append(text)

    lines = Lines()
    app = create_app()
    assert await NodeTaskRunner(ApiControl(app.state.heroic)).run(["pause"], lines) == 1
    assert "runs no consumers" in lines.err[0]


def test_api_refuses_a_non_loopback_admin_bind_without_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HEROIC_ADMIN_TOKEN", raising=False)
    path = tmp_path / "heroic.yml"
    shell_server = {"host": "0.0.0.0", "port": 0}  # noqa: S104 - the refused bind
    document = {"port": 0, "host": "127.0.0.1", "shellServer": shell_server}
    path.write_text(yaml.safe_dump(document))
    assert cli.run(cli.ApiSettings(config=str(path))) == 2
