"""Durable-backend errors at the HTTP edge: unavailable is 503, rejected is 500, never a 400.

``BackendUnavailableError``/``BackendRejectedError`` (what the Elasticsearch, Cassandra and
Bigtable backends raise) are ``HeroicError``s; they used to fall through to the generic
"bad request" mapping, telling clients their valid request was wrong.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.backends.errors import BackendRejectedError, BackendUnavailableError
from heroic_core.backends.group import BackendGroup, Backends
from heroic_core.backends.memory import MemoryMetadataBackend, MemoryMetricBackend
from heroic_core.backends.results import FindSeries
from heroic_core.config import HeroicConfig
from heroic_core.filters import Filter
from heroic_core.model import DateRange, Points, Series

from .helpers import CLIENT

RANGE = {"type": "relative", "unit": "HOURS", "value": 1}
WRITE = {"series": {"key": "k"}, "data": {"type": "points", "data": [[1, 1.0]]}}
CASES = [
    (BackendUnavailableError("elasticsearch es:9200: search failed: timed out"), 503),
    (BackendRejectedError("elasticsearch es:9200: search failed: 403 forbidden"), 500),
]


class _FailingMetadata(MemoryMetadataBackend):
    def __init__(self, error: Exception) -> None:
        super().__init__("broken-metadata", ("memory",))
        self.error = error

    async def find_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindSeries:
        raise self.error


class _FailingMetric(MemoryMetricBackend):
    def __init__(self, error: Exception) -> None:
        super().__init__("broken-metric", ("memory",))
        self.error = error

    async def write(self, series: Series, points: Points) -> None:
        raise self.error


def _client(error: Exception) -> Iterator[TestClient]:
    default = Backends()
    backends = Backends(
        metrics=BackendGroup.build([_FailingMetric(error)]),
        metadata=BackendGroup.build([_FailingMetadata(error)]),
        suggest=default.suggest,
    )
    with TestClient(create_app(HeroicConfig.default(), backends)) as client:
        yield client


class _HttpError(Exception):
    """Stands in for a client library's HTTP error (``status_code``, as elasticsearch's)."""

    def __init__(self, status_code: int) -> None:
        super().__init__(status_code)
        self.status_code = status_code


def _rejected(status_code: int, reason: str) -> BackendRejectedError:
    error = BackendRejectedError(f"elasticsearch es:9200: search failed: {reason}")
    error.__cause__ = _HttpError(status_code)
    return error


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        (_rejected(400, "RequestError 400: search_phase_execution_exception"), "error", 400),
        (_rejected(403, "AuthorizationException 403: forbidden"), "internal-error", 500),
        (_rejected(413, "TransportError 413: too large"), "internal-error", 500),
    ],
)
def test_backend_answering_http_400_is_the_clients_error(
    error: Exception, kind: str, status: int
) -> None:
    for client in _client(error):
        response = client.post("/metadata/series", json={"filter": ["~", "host", "a{1,9}"]})
        assert response.status_code == status, response.text
        assert response.json()["type"] == kind
        assert response.json()["message"] == str(error)


@pytest.mark.parametrize(("error", "status"), CASES)
@pytest.mark.parametrize(
    ("path", "body"),
    [("/metadata/series", {}), ("/query/metrics", {"range": RANGE}), ("/write", WRITE)],
)
def test_durable_backend_errors_are_server_errors_naming_the_backend(
    error: Exception, status: int, path: str, body: dict[str, object]
) -> None:
    for client in _client(error):
        response = client.post(path, json=body, headers=CLIENT)
        assert response.status_code == status, response.text
        payload = response.json()
        assert payload["type"] == "internal-error"
        assert payload["status"] == status
        assert str(error) in payload["message"]
