"""A search over a just-created rotating index waits for its shards (503 ``all shards
failed``) instead of failing the query; other errors and a longer outage still go up."""

from __future__ import annotations

from typing import Any

import pytest

from heroic_core.backends.elasticsearch import connection as es_connection
from heroic_core.backends.elasticsearch.client import ApiError
from heroic_core.backends.elasticsearch.connection import Connection
from heroic_core.backends.elasticsearch.engines import Engine
from heroic_core.backends.errors import BackendRejectedError, BackendUnavailableError
from heroic_core.config.elasticsearch import ConnectionConfig

pytestmark = pytest.mark.anyio
EMPTY = {"hits": {"total": {"value": 0}, "hits": []}}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class ScriptedClient:
    """Stands in for ``SearchClient.search``: raises the scripted errors, then answers."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def search(self, *_: Any) -> dict[str, Any]:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return EMPTY

    async def close(self) -> None:
        return None


def _unavailable() -> ApiError:
    return ApiError(503, {"error": {"type": "search_phase_execution_exception"}})


def _connection(client: ScriptedClient) -> Connection:
    connection = Connection(ConnectionConfig(), "heroic-metadata", {"metadata": {}})
    connection._client = client  # type: ignore[assignment]
    connection.engine = Engine("elasticsearch", (7, 10, 2))  # as detected on first use
    return connection


async def test_unstarted_shards_are_waited_for() -> None:
    client = ScriptedClient(_unavailable(), _unavailable(), _unavailable())
    assert await _connection(client).search("metadata", {}) == EMPTY
    assert client.calls == 4


async def test_a_lasting_outage_still_fails_as_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(es_connection, "SHARD_START_WAIT", 0.2)
    client = ScriptedClient(*[_unavailable() for _ in range(50)])
    with pytest.raises(BackendUnavailableError, match="503"):
        await _connection(client).search("metadata", {})
    assert 2 < client.calls < 50


async def test_other_errors_are_not_retried() -> None:
    client = ScriptedClient(ApiError(400, {"error": {"type": "search_phase_execution_exception"}}))
    with pytest.raises(BackendRejectedError):
        await _connection(client).search("metadata", {})
    assert client.calls == 1
