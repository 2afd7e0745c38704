"""Cross-cutting behaviour of reference 2.1: client id, CORS, path rewrites, /metrics."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.backends.group import Backends
from heroic_core.config import HeroicConfig

from .helpers import CLIENT, write

RANGE = {"type": "absolute", "start": 0, "end": 600_000}
PREFLIGHT = {
    "Origin": "https://grafana.example.com",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type, x-client-id",
}


@pytest.mark.parametrize("path", ["/query/metrics", "/query/batch", "/query/anything"])
def test_every_query_path_requires_a_client_id(client: TestClient, path: str) -> None:
    response = client.post(path, json={"range": RANGE})
    assert response.status_code == 400
    assert response.json()["type"] == "authentication-error"


@pytest.mark.parametrize("value", ["", "   "])
def test_blank_client_id_is_anonymous(client: TestClient, value: str) -> None:
    response = client.post("/query/metrics", json={"range": RANGE}, headers={"X-Client-Id": value})
    assert response.json()["type"] == "authentication-error"


def test_client_id_header_name_is_case_insensitive(client: TestClient) -> None:
    response = client.post("/query/metrics", json={"range": RANGE}, headers={"x-CLIENT-id": "a"})
    assert response.status_code == 200


def test_paths_outside_query_need_no_client_id(client: TestClient) -> None:
    assert client.post("/metadata/series", json={}).status_code == 200


def test_every_response_carries_the_allow_origin_header(client: TestClient) -> None:
    assert client.get("/status").headers["Access-Control-Allow-Origin"] == "*"
    rejected = client.post("/query/metrics", json={"range": RANGE})
    assert rejected.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/nope").headers["Access-Control-Allow-Origin"] == "*"


def test_preflight_echoes_request_headers_and_method(client: TestClient) -> None:
    response = client.options("/query/metrics", headers=PREFLIGHT)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Headers"] == "content-type, x-client-id"
    assert response.headers["Access-Control-Allow-Methods"] == "POST"


def test_non_preflight_responses_do_not_echo(client: TestClient) -> None:
    response = client.get("/status", headers={"Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Methods" not in response.headers


def test_configured_allow_origin_is_used(backends: Backends) -> None:
    config = HeroicConfig.default().model_copy(update={"cors_allow_origin": "https://a.example"})
    with TestClient(create_app(config, backends)) as client:
        assert client.get("/status").headers["Access-Control-Allow-Origin"] == "https://a.example"


def test_disabled_cors_adds_no_headers_and_answers_no_preflight(backends: Backends) -> None:
    config = HeroicConfig.default().model_copy(update={"enable_cors": False})
    with TestClient(create_app(config, backends)) as client:
        assert "Access-Control-Allow-Origin" not in client.get("/status").headers
        response = client.options("/query/metrics", headers={**PREFLIGHT, **CLIENT})
        assert response.status_code == 405
        assert "Access-Control-Allow-Origin" not in response.headers


def test_post_metrics_is_rewritten_to_query_metrics(client: TestClient) -> None:
    write(client, "cpu", {"host": "a"}, [(60_000, 1.0)])
    response = client.post("/metrics", json={"range": RANGE}, headers=CLIENT)
    assert response.status_code == 200
    assert response.json()["result"][0]["values"] == [[60_000, 1.0]]


def test_rewritten_post_metrics_still_requires_a_client_id(client: TestClient) -> None:
    response = client.post("/metrics", json={"range": RANGE})
    assert response.json()["type"] == "authentication-error"


@pytest.mark.parametrize(("alias", "target"), [("/tags", "tags"), ("/keys", "keys")])
def test_tags_and_keys_are_rewritten_to_metadata(
    client: TestClient, alias: str, target: str
) -> None:
    write(client, "cpu", {"host": "a"}, [(60_000, 1.0)])
    assert client.post(alias, json={}).json() == client.post(f"/metadata/{target}", json={}).json()


def test_metrics_stream_is_rewritten_but_has_no_handler(client: TestClient) -> None:
    response = client.post("/metrics-stream/abc", json={}, headers=CLIENT)
    assert response.status_code == 404


def test_get_metrics_is_the_prometheus_exposition(client: TestClient) -> None:
    client.get("/status")
    client.post("/query/metrics", json={"range": RANGE}, headers=CLIENT)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'heroic_http_requests_total{endpoint="/status",method="GET",status="200"} 1.0' in text
    assert (
        'heroic_http_requests_total{endpoint="/query/metrics",method="POST",status="200"} 1.0'
        in text
    )
    assert (
        'heroic_http_request_duration_seconds_count{endpoint="/query/metrics",method="POST"} 1.0'
        in text
    )


def test_unmatched_paths_share_one_metrics_label(client: TestClient) -> None:
    client.get("/a")
    client.get("/b")
    text = client.get("/metrics").text
    assert 'heroic_http_requests_total{endpoint="unmatched",method="GET",status="404"} 2.0' in text
