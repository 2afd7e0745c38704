"""Every HTTP error body kind of reference 2.2, with its exact shape."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.backends.group import BackendGroup, Backends
from heroic_core.backends.memory import MemoryMetadataBackend
from heroic_core.backends.results import FindSeries
from heroic_core.config import HeroicConfig
from heroic_core.filters import Filter
from heroic_core.model import DateRange

from .helpers import CLIENT

RANGE = {"type": "absolute", "start": 0, "end": 600_000}


def test_unknown_path_is_a_404_error_body(client: TestClient) -> None:
    response = client.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json() == {
        "type": "error",
        "message": "Not Found",
        "reason": "Not Found",
        "status": 404,
    }


def test_wrong_method_is_a_405_error_body(client: TestClient) -> None:
    response = client.get("/write")
    assert response.status_code == 405
    assert response.json() == {
        "type": "error",
        "message": "Method Not Allowed",
        "reason": "Method Not Allowed",
        "status": 405,
    }


def test_unsupported_media_type_is_a_415_error_body(client: TestClient) -> None:
    response = client.post("/write", content=b"<x/>", headers={"Content-Type": "application/xml"})
    assert response.status_code == 415
    assert response.json() == {
        "type": "error",
        "message": "Unsupported media type: application/xml",
        "reason": "Unsupported Media Type",
        "status": 415,
    }


@pytest.mark.parametrize("path", ["/write", "/query/metrics", "/metadata/series", "/query/batch"])
def test_empty_body_is_a_json_error_missing_request_body(client: TestClient, path: str) -> None:
    response = client.post(path, content=b"", headers=CLIENT)
    assert response.status_code == 400
    assert response.json() == {
        "type": "json-error",
        "message": "missing request body",
        "reason": "Bad Request",
        "status": 400,
        "path": "",
    }


def test_malformed_json_is_a_json_parse_error_with_line_and_col(client: TestClient) -> None:
    body = b'{\n  "range": ,\n}'
    response = client.post("/query/metrics", content=body, headers=CLIENT)
    assert response.status_code == 400
    assert response.json() == {
        "type": "json-parse-error",
        "message": "Expecting value",
        "reason": "Bad Request",
        "status": 400,
        "line": 2,
        "col": 12,
    }


def test_unknown_filter_operator_is_a_json_error_with_path(client: TestClient) -> None:
    response = client.post(
        "/query/metrics", json={"range": RANGE, "filter": ["nope", "x"]}, headers=CLIENT
    )
    assert response.status_code == 400
    assert response.json() == {
        "type": "json-error",
        "message": "No such operator: nope",
        "reason": "Bad Request",
        "status": 400,
        "path": "filter",
    }


def test_nested_filter_error_names_the_nested_path(client: TestClient) -> None:
    body = {"range": RANGE, "filter": ["and", ["=", "host"]]}
    response = client.post("/query/metrics", json=body, headers=CLIENT)
    assert response.status_code == 400
    assert response.json()["path"] == "filter.{and}[0].{=}"


def test_unknown_aggregation_is_a_json_error_not_a_500(client: TestClient) -> None:
    body = {"range": RANGE, "aggregation": {"type": "median"}}
    response = client.post("/query/metrics", json=body, headers=CLIENT)
    assert response.status_code == 400
    payload = response.json()
    assert payload["type"] == "json-error"
    assert payload["path"] == "aggregation.type"
    assert payload["message"].startswith("Could not resolve type id 'median'")


def test_wrong_option_type_is_a_json_error_naming_the_option(client: TestClient) -> None:
    body = {"range": RANGE, "options": {"groupLimit": "many"}}
    response = client.post("/query/metrics", json=body, headers=CLIENT)
    assert response.status_code == 400
    assert response.json()["type"] == "json-error"
    assert response.json()["path"] == "options.groupLimit"


def test_hql_syntax_error_is_a_parse_error_with_positions(client: TestClient) -> None:
    response = client.post(
        "/query/metrics",
        content=b"average(",
        headers={**CLIENT, "Content-Type": "text/plain"},
    )
    assert response.status_code == 400
    assert response.json() == {
        "type": "parse-error",
        "message": "1:8: unexpected token: <EOF>",
        "reason": "Bad Request",
        "status": 400,
        "line": 1,
        "col": 8,
        "lineEnd": 1,
        "colEnd": 8,
    }


def test_missing_range_is_a_400_not_a_500(client: TestClient) -> None:
    response = client.post("/query/metrics", json={}, headers=CLIENT)
    assert response.status_code == 400
    assert response.json() == {
        "type": "error",
        "message": "Range must be present",
        "reason": "Bad Request",
        "status": 400,
    }


def test_missing_client_id_is_an_authentication_error(client: TestClient) -> None:
    response = client.post("/query/metrics", json={"range": RANGE})
    assert response.status_code == 400
    assert response.json() == {
        "type": "authentication-error",
        "message": "Anonymous requests are not permitted",
        "reason": "Bad Request",
        "status": 400,
    }


def test_stopping_node_answers_503_shutting_down(app: FastAPI, client: TestClient) -> None:
    app.state.heroic.stopping = True
    response = client.get("/status")
    assert response.status_code == 503
    assert response.json() == {
        "type": "internal-error",
        "message": "Heroic is shutting down",
        "reason": "Service Unavailable",
        "status": 503,
    }


class _FailingMetadata(MemoryMetadataBackend):
    def __init__(self, error: Exception) -> None:
        super().__init__("broken", ("memory",))
        self.error = error

    async def find_series(
        self, filter: Filter, range: DateRange, limit: int | None = None
    ) -> FindSeries:
        raise self.error


def _client_with(error: Exception) -> Iterator[TestClient]:
    default = Backends()
    backends = Backends(
        metrics=default.metrics,
        metadata=BackendGroup.build([_FailingMetadata(error)]),
        suggest=default.suggest,
    )
    with TestClient(create_app(HeroicConfig.default(), backends)) as test_client:
        yield test_client


def test_unexpected_backend_failure_is_an_internal_error() -> None:
    for client in _client_with(RuntimeError("disk on fire")):
        response = client.post("/metadata/series", json={})
        assert response.status_code == 500
        assert response.json() == {
            "type": "internal-error",
            "message": "backend broken failed: disk on fire",
            "reason": "Internal Server Error",
            "status": 500,
        }


def test_unreachable_backend_is_a_503() -> None:
    for client in _client_with(ConnectionRefusedError("connection refused")):
        response = client.post("/metadata/series", json={})
        assert response.status_code == 503
        assert response.json()["type"] == "internal-error"
        assert response.json()["message"] == "backend broken failed: connection refused"


def test_requests_before_the_lifespan_opened_backends_are_503() -> None:
    client = TestClient(create_app(HeroicConfig.default()))  # no "with": lifespan not run
    response = client.get("/status")
    assert response.status_code == 503
    assert response.json()["message"] == "Heroic is starting: backends are not open yet"


def test_lifespan_opens_and_closes_its_own_backends() -> None:
    app = create_app(HeroicConfig.default())
    with TestClient(app) as client:
        assert client.get("/status").status_code == 200
        assert app.state.heroic.backends is not None
    assert app.state.heroic.backends is None
    assert app.state.heroic.stopping is True
