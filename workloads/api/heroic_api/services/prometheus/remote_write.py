"""``POST /api/v1/write``: Prometheus remote write 1.0 into the metric, metadata and suggest
backends, through the same write path as ``POST /write``.

Each step refuses with a Prometheus error body before anything is written:

1. Headers: ``Content-Type: application/x-protobuf`` with no ``proto`` parameter or
   ``proto=prometheus.WriteRequest`` (a request without Content-Type is taken as 1.0, as
   Prometheus' own receiver does); remote write 2.0 (``io.prometheus.write.v2.Request``) and
   anything else is 415. ``Content-Encoding: snappy`` (absent is taken as snappy, as Prometheus
   does; anything else is 415). ``X-Prometheus-Remote-Write-Version`` is informational.
2. Body: at most ``max_bytes`` (heroic.yml ``maxRequestBodySize``) after Snappy (block
   format), checked on the length the block declares before anything is allocated, and the
   compressed body read no further than the largest block of that size (413).
3. The whole ``WriteRequest`` is parsed and every series validated (``remote_decode``): 400.
4. Then ``WriteService.write_many``; the answer is 204 once every backend write succeeded. A
   backend failure is 503 (unavailable, timed out) or 500, which Prometheus retries; it may
   have stored part of the request, and the retry rewrites it (writes are idempotent).

Prometheus never retries a 4xx (but 429), so only input that cannot succeed gets one. Errors
are Prometheus' JSON error body like every ``/api/v1`` route: Prometheus logs a failed
request's body as text, and the JSON's ``error`` reads as plainly as a text body would.
This module must not import FastAPI.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Mapping
from dataclasses import dataclass

import cramjam

from heroic_api.encoding import too_large
from heroic_api.metrics import RemoteWriteMetrics
from heroic_api.services.prometheus.errors import ErrorType, PromAPIError
from heroic_api.services.prometheus.remote_decode import (
    DecodedWrite,
    InvalidSeriesError,
    decode_write,
)
from heroic_api.services.prometheus.remote_proto import (
    PROTOBUF_MEDIA_TYPE,
    WriteRequestError,
    parse_write_request,
)
from heroic_api.services.write import WriteService
from heroic_core.config.heroic import DEFAULT_MAX_REQUEST_BODY_SIZE
from heroic_core.promql.names import NameEscaping

V1_MESSAGE = "prometheus.WriteRequest"
V2_MESSAGE = "io.prometheus.write.v2.Request"
SNAPPY = "snappy"
#: The largest decompressed request accepted by default (heroic.yml ``maxRequestBodySize``;
#: Prometheus sends a few MiB at most).
MAX_DECOMPRESSED = DEFAULT_MAX_REQUEST_BODY_SIZE


class RemoteWriteRejectedError(PromAPIError):
    """A request refused before anything was written; ``reason`` labels the counter."""

    def __init__(self, reason: str, message: str, status: int = 400) -> None:
        super().__init__(ErrorType.BAD_DATA, message, status)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class RemoteWritten:
    """What a successful request stored (the remote-write 2.0 ``*-Written`` headers)."""

    samples: int
    histograms: int = 0
    exemplars: int = 0

    def headers(self) -> dict[str, str]:
        return {
            "X-Prometheus-Remote-Write-Samples-Written": str(self.samples),
            "X-Prometheus-Remote-Write-Histograms-Written": str(self.histograms),
            "X-Prometheus-Remote-Write-Exemplars-Written": str(self.exemplars),
        }


def check_headers(headers: Mapping[str, str]) -> None:
    """Refuse (415) what is not a remote-write 1.0 request; ``headers`` keys are lower-case."""
    media_type, params = _media_type(headers.get("content-type", ""))
    if media_type and media_type != PROTOBUF_MEDIA_TYPE:
        raise RemoteWriteRejectedError(
            "content_type",
            f"unsupported Content-Type {media_type!r}: remote write needs {PROTOBUF_MEDIA_TYPE}",
            415,
        )
    message = params.get("proto", V1_MESSAGE)
    if message == V2_MESSAGE:
        raise RemoteWriteRejectedError(
            "content_type",
            f"remote write 2.0 ({V2_MESSAGE}) is not supported; send remote write 1.0 "
            f"({V1_MESSAGE}: protobuf_message: {V1_MESSAGE} in Prometheus' remote_write)",
            415,
        )
    if message != V1_MESSAGE:
        raise RemoteWriteRejectedError(
            "content_type", f"unsupported proto={message!r}: only {V1_MESSAGE} is accepted", 415
        )
    encoding = headers.get("content-encoding", "").strip().lower()
    if encoding and encoding != SNAPPY:
        raise RemoteWriteRejectedError(
            "content_encoding",
            f"unsupported Content-Encoding {encoding!r}: remote-write bodies are snappy "
            "(block format)",
            415,
        )


def _media_type(value: str) -> tuple[str, dict[str, str]]:
    """``"a/b; k=v"`` -> ``("a/b", {"k": "v"})``, lower-cased but for values."""
    media_type, *rest = value.split(";")
    params: dict[str, str] = {}
    for param in rest:
        key, _, val = param.partition("=")
        params[key.strip().lower()] = val.strip().strip('"')
    return media_type.strip().lower(), params


def max_compressed(size: int) -> int:
    """The largest Snappy block of ``size`` uncompressed bytes (Snappy's ``MaxEncodedLen``)."""
    return 32 + size + size // 6


async def read_at_most(chunks: AsyncIterable[bytes], limit: int, shown: int) -> bytes:
    """The body, refused (413) as soon as it passes ``limit`` bytes; ``shown`` is the limit
    the message names."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise _too_large(shown, "compressed body")
    return bytes(body)


def decompress(body: bytes, limit: int) -> bytes:
    """The Snappy block ``body`` decompressed, refused past ``limit`` bytes before allocating."""
    if not body:
        raise RemoteWriteRejectedError(
            "snappy", "empty body: expected a snappy-compressed WriteRequest"
        )
    try:
        size = cramjam.snappy.decompress_raw_len(body)
        if size > limit:
            raise _too_large(limit, f"body of {size} bytes decompressed")
        return bytes(cramjam.snappy.decompress_raw(body))
    except cramjam.DecompressionError as exc:
        raise RemoteWriteRejectedError(
            "snappy", f"the body is not snappy-compressed (block format): {exc}"
        ) from None


def _too_large(limit: int, what: str) -> RemoteWriteRejectedError:
    return RemoteWriteRejectedError("too_large", too_large(limit, what).message, 413)


class RemoteWriteService:
    """Decodes, validates and writes remote-write requests, counting what it saw."""

    def __init__(
        self,
        writes: WriteService,
        metrics: RemoteWriteMetrics,
        escaping: NameEscaping = NameEscaping.ALLOW_UTF8,
        max_bytes: int = MAX_DECOMPRESSED,
    ) -> None:
        self.writes = writes
        self.metrics = metrics
        self.escaping = escaping
        self.max_bytes = max_bytes

    async def write(
        self,
        headers: Mapping[str, str],
        body: AsyncIterable[bytes],
        group: str | None = None,
    ) -> RemoteWritten:
        """One request (see the module docstring); returns once everything is stored."""
        try:
            decoded = await self._decode(headers, body)
        except RemoteWriteRejectedError as exc:
            self.metrics.rejected.labels(exc.reason).inc()
            raise
        self._count(decoded)
        try:
            written = await self.writes.write_many(decoded.items, group)
        except Exception:
            self.metrics.rejected.labels("write_failed").inc()
            raise
        return RemoteWritten(samples=written.points)

    async def _decode(self, headers: Mapping[str, str], body: AsyncIterable[bytes]) -> DecodedWrite:
        check_headers(headers)
        limit = self.max_bytes
        data = await read_at_most(body, max_compressed(limit), limit)
        # A worker thread: decoding a large request takes long enough to stall other requests
        # (probes included) if it ran on the event loop.
        return await asyncio.to_thread(self._decoded, data)

    def _decoded(self, data: bytes) -> DecodedWrite:
        try:
            request = parse_write_request(decompress(data, self.max_bytes))
            return decode_write(request, self.escaping)
        except WriteRequestError as exc:
            raise RemoteWriteRejectedError("protobuf", str(exc)) from None
        except InvalidSeriesError as exc:
            raise RemoteWriteRejectedError("invalid_series", str(exc)) from None

    def _count(self, decoded: DecodedWrite) -> None:
        received = self.metrics.received
        for kind, count in (
            ("series", decoded.series),
            ("sample", decoded.samples),
            ("stale_marker", decoded.stale_markers),
            ("exemplar", decoded.exemplars),
            ("histogram", decoded.histograms),
            ("metadata", decoded.metadata),
        ):
            received.labels(kind).inc(count)
