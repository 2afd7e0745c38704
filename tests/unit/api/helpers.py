"""Shared constants and request helpers of the API node tests."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient

#: The fixed "now" of every test app (ms); a multiple of one minute.
NOW = 1_700_000_040_000
CLIENT = {"X-Client-Id": "unit-test"}


def fixed_clock() -> int:
    return NOW


def write(
    client: TestClient,
    key: str,
    tags: dict[str, str],
    points: Sequence[tuple[int, float]],
    resource: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST /write one series and return the response body (asserting 200)."""
    series: dict[str, Any] = {"key": key, "tags": tags}
    if resource is not None:
        series["resource"] = resource
    body = {"series": series, "data": {"type": "points", "data": [list(p) for p in points]}}
    response = client.post("/write", json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def query(client: TestClient, body: dict[str, Any], status: int = 200) -> dict[str, Any]:
    """POST /query/metrics with a client id and return the JSON body (asserting ``status``)."""
    response = client.post("/query/metrics", json=body, headers=CLIENT)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result
