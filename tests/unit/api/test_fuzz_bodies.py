"""Fuzz every endpoint with malformed bytes, mutated JSON, odd content types and huge bodies.

Whatever arrives, the answer is < 500 with upstream's error body (reference 2.2 and 13.16).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from .fuzz_client import CLIENT, FUZZ, check, fuzz_client

ENDPOINTS = [
    ("POST", "/query/metrics"),
    ("POST", "/metrics"),
    ("POST", "/query/batch"),
    ("POST", "/write"),
    ("POST", "/metadata/series"),
    ("PUT", "/metadata/series"),
    ("DELETE", "/metadata/series"),
    ("POST", "/metadata/series-count"),
    ("POST", "/metadata/keys"),
    ("POST", "/metadata/tags"),
    ("POST", "/metadata/key-suggest"),
    ("POST", "/metadata/tag-suggest"),
    ("POST", "/metadata/tag-value-suggest"),
    ("POST", "/metadata/tag-values-suggest"),
    ("POST", "/metadata/tagkey-count"),
    ("POST", "/parser/parse-query"),
    ("POST", "/parser/parse-filter"),
    ("GET", "/status"),
    ("GET", "/"),
    ("PATCH", "/write"),
    ("OPTIONS", "/query/metrics"),
]
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-16",
        "application/json;;;",
        "text/plain",
        "text/plain; charset=latin-1",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/vnd.heroic+json",
        "application/xml",
        "",
        "*/*",
        "\x7f",
    ]
)
SEEDS = [
    b'{"range": {"type": "relative", "value": 1}, "filter": ["=", "host", "a"]}',
    b'{"series": {"key": "k", "tags": {"a": "b"}}, "data": {"type": "points", "data": [[1, 2]]}}',
    b'{"queries": {"a": {"range": {"type": "absolute", "start": 0, "end": 10}}}}',
    b'{"key": "k", "tags": {}, "resource": {}}',
    b'{"filter": ["and", ["+", "a"], ["not", ["key", "x"]]], "limit": 3}',
    b"average(1m) by host from points(1h) where a = b",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A seed body with bytes inserted, deleted or flipped."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 5))):
        pos = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "flip"]))
        if op == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=4))
        elif pos < len(data):
            if op == "delete":
                del data[pos]
            else:
                data[pos] ^= draw(st.integers(1, 255))
    return bytes(data)


BODIES = st.one_of(
    mutated(),
    st.binary(max_size=64),
    st.sampled_from([b"", b" ", b"null", b"[]", b"{}", b'"x"', b"1", b"\xef\xbb\xbf{}", b"\x00"]),
)


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    yield from fuzz_client()


@FUZZ
@given(endpoint=st.sampled_from(ENDPOINTS), body=BODIES, media=CONTENT_TYPES, ident=st.booleans())
def test_any_bytes_to_any_endpoint_never_fail_with_a_server_error(
    client: TestClient, endpoint: tuple[str, str], body: bytes, media: str | None, ident: bool
) -> None:
    method, path = endpoint
    headers = dict(CLIENT) if ident else {}
    if media is not None:
        headers["Content-Type"] = media
    check(client.request(method, path, content=body, headers=headers))


@pytest.mark.parametrize(("method", "path"), [e for e in ENDPOINTS if e[0] in ("POST", "PUT")])
def test_a_two_megabyte_garbage_body_is_a_client_error(
    client: TestClient, method: str, path: str
) -> None:
    body = b'{"x": "' + b"y" * (2 << 20) + b'", ' + b"!" * 1000
    response = client.request(method, path, content=body, headers=CLIENT)
    check(response)
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize("path", ["/parser/parse-query", "/query/metrics", "/parser/parse-filter"])
def test_a_large_hql_body_is_answered(client: TestClient, path: str) -> None:
    text = "* from points(1h) where " + " and ".join(f"t{i} = v{i}" for i in range(5000))
    response = client.post(path, content=text, headers={"Content-Type": "text/plain", **CLIENT})
    check(response)
