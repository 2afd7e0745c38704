"""gzip answers (``encoding.IsalGZipMiddleware``): Starlette's rules (threshold, headers,
streaming), ISA-L's deflate; what the client decodes is what the route sent."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from heroic_api.encoding import GZIP_MINIMUM_SIZE, IsalGZipMiddleware

#: JSON-like text that compresses, longer than the threshold.
LARGE = b'{"values":[' + b",".join(b"[%d,%d.125]" % (i, i * 7) for i in range(2000)) + b"]}"


async def _plain(request: Request) -> Response:
    size = int(request.query_params.get("size", len(LARGE)))
    return Response(LARGE[:size], media_type="application/json")


async def _streamed(request: Request) -> StreamingResponse:
    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(LARGE), 5000):
            yield LARGE[start : start + 5000]

    return StreamingResponse(pieces(), media_type="application/json")


@pytest.fixture
def client() -> TestClient:
    app = Starlette(routes=[Route("/plain", _plain), Route("/streamed", _streamed)])
    app.add_middleware(IsalGZipMiddleware, minimum_size=GZIP_MINIMUM_SIZE, compresslevel=1)
    return TestClient(app)


def _raw(client: TestClient, path: str, encoding: str) -> tuple[dict[str, str], bytes]:
    """Headers and the body as sent (not decoded by the client)."""
    with client.stream("GET", path, headers={"Accept-Encoding": encoding}) as answer:
        return dict(answer.headers), b"".join(answer.iter_raw())


def test_an_answer_above_the_threshold_is_gzip_and_decodes_to_the_original(
    client: TestClient,
) -> None:
    headers, body = _raw(client, "/plain", "gzip")
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert int(headers["content-length"]) == len(body) < len(LARGE) // 3
    assert gzip.decompress(body) == LARGE


def test_an_answer_below_the_threshold_is_sent_as_it_is(client: TestClient) -> None:
    headers, body = _raw(client, f"/plain?size={GZIP_MINIMUM_SIZE - 1}", "gzip")
    assert "content-encoding" not in headers
    assert body == LARGE[: GZIP_MINIMUM_SIZE - 1]


def test_a_client_without_gzip_gets_the_answer_plain(client: TestClient) -> None:
    headers, body = _raw(client, "/plain", "identity")
    assert "content-encoding" not in headers
    assert body == LARGE


def test_a_streamed_answer_is_one_gzip_stream_of_every_piece(client: TestClient) -> None:
    headers, body = _raw(client, "/streamed", "gzip")
    assert headers["content-encoding"] == "gzip"
    assert "content-length" not in headers
    assert gzip.decompress(body) == LARGE
