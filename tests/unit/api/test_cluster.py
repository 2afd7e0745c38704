"""``/cluster/*`` on a node that does not federate: this node only, changes refused with 400."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.config import HeroicConfig


def _client(**cluster: object) -> TestClient:
    config = HeroicConfig.default()
    if cluster:
        config = HeroicConfig.from_dict({"cluster": cluster})
    return TestClient(create_app(config))


def test_status_lists_this_node_with_the_configured_id_and_tags() -> None:
    node_id = str(uuid.uuid4())
    with _client(id=node_id, tags={"site": "lon"}) as client:
        response = client.get("/cluster/status")
    assert response.status_code == 200
    assert response.json() == {
        "nodes": [{"node": "local", "id": node_id, "version": 0, "tags": {"site": "lon"}}],
        "statistics": {"onlineNodes": 1, "offlineNodes": 0},
    }


def test_without_a_configured_id_the_node_gets_a_stable_random_one() -> None:
    with _client() as client:
        first = client.get("/cluster/status").json()["nodes"][0]["id"]
        again = client.get("/cluster/status").json()["nodes"][0]["id"]
    assert first == again
    assert uuid.UUID(first).version == 4


def test_there_are_no_static_nodes() -> None:
    with _client() as client:
        assert client.get("/cluster/nodes").json() == {"data": []}


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/cluster/nodes"), ("DELETE", "/cluster/nodes"), ("POST", "/cluster/refresh")],
)
def test_changing_the_node_registry_is_refused_saying_why(method: str, path: str) -> None:
    with _client() as client:
        response = client.request(method, path, json="http://other:8080")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error"
    assert body["message"].startswith("federation is off: heroic.yml has no cluster.discovery")
