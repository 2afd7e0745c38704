"""Request bodies at the edge: gzip-encoded bodies on ``/write``, ``/query/*`` and
``/metadata/*``, and ``maxRequestBodySize`` (413) as sent and once decoded, in each route's own
error shape; remote write bounded by the same setting."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib
from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.backends.factory import build_backends
from heroic_core.config import ConfigError, HeroicConfig

from .helpers import CLIENT
from .remote_write_helpers import V1_HEADERS, body

LIMIT = 64 * 1024
JSON = {"Content-Type": "application/json"}
GZIP_JSON = {**JSON, "Content-Encoding": "gzip"}
RANGE = {"type": "absolute", "start": 0, "end": 600_000}
POINTS = [[1000 * i, float(i)] for i in range(1, 301)]
WRITE = {
    "series": {"key": "cpu", "tags": {"host": "a"}},
    "data": {"type": "points", "data": POINTS},
}


def _config(limit: int | str = LIMIT) -> HeroicConfig:
    return HeroicConfig.from_dict(
        {
            "maxRequestBodySize": limit,
            "metrics": {"backends": [{"type": "memory"}]},
            "metadata": {"backends": [{"type": "memory"}]},
            "suggest": {"backends": [{"type": "memory"}]},
        }
    )


@pytest.fixture
def limited() -> Iterator[TestClient]:
    config = _config()
    with TestClient(create_app(config, build_backends(config))) as client:
        yield client


def _gz(document: Any) -> bytes:
    return gzip.compress(orjson.dumps(document))


def test_a_gzip_write_is_stored_and_a_gzip_query_reads_it(limited: TestClient) -> None:
    written = limited.post("/write", content=_gz(WRITE), headers=GZIP_JSON)
    assert written.status_code == 200, written.text
    query = {"range": RANGE, "filter": ["key", "cpu"]}
    answer = limited.post("/query/metrics", content=_gz(query), headers={**GZIP_JSON, **CLIENT})
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"][0]["values"] == POINTS


def test_a_gzip_hql_query_is_read(limited: TestClient) -> None:
    limited.post("/write", json=WRITE)
    hql = gzip.compress(b"max(10m) from points(0, 600000) where $key = cpu")
    headers = {**CLIENT, "Content-Type": "text/plain", "Content-Encoding": "gzip"}
    answer = limited.post("/query/metrics", content=hql, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"][0]["values"] == [[600_000, 300.0]]


def test_a_gzip_metadata_request_is_read(limited: TestClient) -> None:
    limited.post("/write", json=WRITE)
    answer = limited.post(
        "/metadata/series", content=_gz({"filter": ["key", "cpu"]}), headers=GZIP_JSON
    )
    assert answer.status_code == 200, answer.text
    assert [s["tags"] for s in answer.json()["series"]] == [{"host": "a"}]


def test_several_gzip_members_are_one_body(limited: TestClient) -> None:
    raw = orjson.dumps(WRITE)
    content = gzip.compress(raw[:100]) + gzip.compress(raw[100:])
    assert limited.post("/write", content=content, headers=GZIP_JSON).status_code == 200


@pytest.mark.parametrize(
    ("content", "headers", "status", "message"),
    [
        (
            b'{"series": {"key": "cpu"}}',
            GZIP_JSON,
            400,
            "request body is not valid gzip (Content-Encoding: gzip): Error -3 while "
            "decompressing data: incorrect header check",
        ),
        (
            gzip.compress(b'{"series": {"key": "cpu"}}')[:-6],
            GZIP_JSON,
            400,
            "request body is truncated gzip (Content-Encoding: gzip)",
        ),
        (
            zlib.compress(b"{}"),
            {**JSON, "Content-Encoding": "deflate"},
            415,
            "unsupported Content-Encoding 'deflate': request bodies may be gzip or identity",
        ),
    ],
    ids=["not gzip", "truncated", "deflate"],
)
def test_a_body_that_cannot_be_decoded_is_refused_naming_why(
    limited: TestClient, content: bytes, headers: dict[str, str], status: int, message: str
) -> None:
    answer = limited.post("/write", content=content, headers=headers)
    assert answer.status_code == status
    assert answer.json() == {
        "type": "error",
        "message": message,
        "reason": "Bad Request" if status == 400 else "Unsupported Media Type",
        "status": status,
    }


def test_identity_encoding_is_the_body_as_sent(limited: TestClient) -> None:
    headers = {**JSON, "Content-Encoding": "identity"}
    assert limited.post("/write", content=orjson.dumps(WRITE), headers=headers).status_code == 200


def test_a_body_declared_larger_than_the_limit_is_a_413_naming_limit_and_setting(
    limited: TestClient,
) -> None:
    answer = limited.post("/write", content=b" " * (LIMIT + 1), headers=JSON)
    assert answer.status_code == 413
    assert answer.json()["message"] == (
        f"request body of {LIMIT + 1} bytes exceeds the limit of {LIMIT} bytes; raise "
        "maxRequestBodySize in heroic.yml to accept larger bodies"
    )


def test_a_streamed_body_is_cut_off_at_the_limit(limited: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(100):
            yield b" " * 4096

    answer = limited.post("/query/metrics", content=chunks(), headers={**JSON, **CLIENT})
    assert answer.status_code == 413
    assert answer.json()["message"].startswith(f"request body exceeds the limit of {LIMIT} bytes")


def test_a_body_at_the_limit_is_read(limited: TestClient) -> None:
    document = orjson.dumps(WRITE)
    padded = document + b" " * (LIMIT - len(document))
    assert limited.post("/write", content=padded, headers=JSON).status_code == 200


def test_a_gzip_bomb_stops_at_the_limit_without_inflating(limited: TestClient) -> None:
    inflated = 64 * 1024 * 1024
    bomb = gzip.compress(b" " * inflated, compresslevel=9)
    assert len(bomb) < LIMIT  # passes the check on what was sent
    tracemalloc.start()
    try:
        answer = limited.post("/write", content=bomb, headers=GZIP_JSON)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 413
    assert answer.json()["message"].startswith(
        f"request body once gzip-decoded exceeds the limit of {LIMIT} bytes"
    )
    assert peak < inflated // 8


def test_the_prometheus_api_refuses_in_its_own_error_shape(limited: TestClient) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = limited.post("/api/v1/query", content=b"query=" + b"u" * LIMIT, headers=form)
    assert answer.status_code == 413
    assert answer.json()["errorType"] == "bad_data"
    assert "maxRequestBodySize" in answer.json()["error"]
    gzipped = {**form, "Content-Encoding": "gzip"}
    answer = limited.post("/api/v1/query", content=gzip.compress(b"query=1%2B1"), headers=gzipped)
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["result"][1] == "2"


def test_remote_write_is_bounded_by_the_same_setting() -> None:
    config = _config(1000)
    samples = [(i, float(i)) for i in range(200)]  # about 2 KB once decompressed
    with TestClient(create_app(config, build_backends(config))) as client:
        answer = client.post(
            "/api/v1/write", content=body(([("__name__", "cpu")], samples)), headers=V1_HEADERS
        )
    assert answer.status_code == 413
    assert "exceeds the limit of 1000 bytes; raise maxRequestBodySize" in answer.json()["error"]


@pytest.mark.parametrize(("given", "size"), [("32MiB", 32 * 2**20), ("1GB", 10**9), (4096, 4096)])
def test_the_limit_takes_a_byte_count_or_a_size_with_its_unit(given: int | str, size: int) -> None:
    assert _config(given).max_request_body_size == size


@pytest.mark.parametrize("given", [0, "lots", -1])
def test_a_limit_that_is_not_a_size_is_a_config_error(given: int | str) -> None:
    with pytest.raises(ConfigError, match="maxRequestBodySize"):
        _config(given)


def test_the_default_limit_is_32_mib() -> None:
    assert HeroicConfig.default().max_request_body_size == 32 * 2**20
