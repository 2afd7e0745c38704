"""Content encodings at the HTTP edge: gzip answers of 860 bytes and more (upstream's Jetty
``GzipHandler`` threshold), gzip request bodies, and the request-body limit
(``maxRequestBodySize`` in heroic.yml).

Answers are compressed by Starlette's ``GZipMiddleware`` (its headers, thresholds and streaming)
with ISA-L's deflate (``isal``) in place of zlib's: at its fastest level it compresses a 50 KB
query answer in a third of the time zlib's fastest level takes, and smaller.

Request bodies are decoded and counted in ``receive``, while the route reads them: a body is
refused (413) as soon as it passes the limit, as sent or once gzip-decoded, so that neither a
large upload nor a small gzip "bomb" is held in memory beyond the limit. The errors are raised
from ``receive`` so that each route answers them in its own error shape (Heroic's, or
Prometheus' under ``/api/v1``). Remote write is left alone: its bodies are snappy blocks, which
its service bounds with the same limit. This module must not parse bodies.
"""

from __future__ import annotations

import zlib
from collections.abc import Collection
from typing import cast

from isal import isal_zlib
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware.gzip import GZipMiddleware, GZipResponder, IdentityResponder
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from heroic_api.errors import RequestBodyError

GZIP_MINIMUM_SIZE = 860
#: ISA-L's level 1 (of 0-3): a 52 KB query answer (100 groups) compresses in 0.15 ms to 8.8 KB;
#: zlib's fastest level took 0.5 ms for 9.4 KB, its default 1.2 ms for 6.8 KB.
GZIP_LEVEL = 1
SETTING = "maxRequestBodySize"
#: Routes that read their own encoded bodies (remote write: snappy, bounded by its service).
RAW_BODY_PATHS = frozenset({"/api/v1/write"})
_GZIP = frozenset({"gzip", "x-gzip"})  # RFC 9110 8.4.1.3: x-gzip is gzip
_GZIP_WBITS = 16 + zlib.MAX_WBITS  # a gzip header and trailer around the deflate stream


def add_encoding_middleware(app: Starlette, max_body_size: int) -> None:
    """Install the request-body reader and, outside it, the gzip responder."""
    app.add_middleware(RequestBodyMiddleware, limit=max_body_size)
    app.add_middleware(IsalGZipMiddleware, minimum_size=GZIP_MINIMUM_SIZE, compresslevel=GZIP_LEVEL)


class _IsalGZipResponder(GZipResponder):
    """Starlette's gzip responder compressing with ISA-L."""

    @property
    def compressor(self) -> zlib._Compress:
        if self._compressor is None:
            # The same interface as zlib's (compress, flush with Z_SYNC_FLUSH or Z_FINISH).
            self._compressor = cast(
                "zlib._Compress",
                isal_zlib.compressobj(self.compresslevel, isal_zlib.DEFLATED, _GZIP_WBITS),
            )
        return self._compressor


class IsalGZipMiddleware(GZipMiddleware):
    """``GZipMiddleware`` whose gzip answers ISA-L compresses (see the module docstring)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        responder: ASGIApp
        if "gzip" in Headers(scope=scope).get("Accept-Encoding", ""):
            responder = _IsalGZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=self.exclude_content_types,
            )
        else:
            responder = IdentityResponder(
                self.app, self.minimum_size, exclude_content_types=self.exclude_content_types
            )
        await responder(scope, receive, send)


def describe_limit(limit: int) -> str:
    """``"33554432 bytes (32 MiB)"``; below a MiB only the bytes."""
    return f"{limit} bytes ({limit / 2**20:g} MiB)" if limit >= 2**20 else f"{limit} bytes"


def too_large(limit: int, what: str = "request body") -> RequestBodyError:
    """The 413 for a body past ``limit``, naming the limit and the setting."""
    return RequestBodyError(
        f"{what} exceeds the limit of {describe_limit(limit)}; raise {SETTING} in heroic.yml "
        "to accept larger bodies",
        413,
    )


def is_gzip(content_encoding: str) -> bool:
    """True for ``gzip``; False for none or ``identity``; anything else is a 415."""
    codings = [c.strip().lower() for c in content_encoding.split(",")]
    codings = [c for c in codings if c not in ("", "identity")]
    if not codings:
        return False
    if len(codings) == 1 and codings[0] in _GZIP:
        return True
    raise RequestBodyError(
        f"unsupported Content-Encoding {content_encoding!r}: request bodies may be gzip or "
        "identity",
        415,
    )


class GzipInflater:
    """Decodes a gzip stream fed in pieces, never producing more than ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.produced = 0
        self._zlib = zlib.decompressobj(_GZIP_WBITS)
        self._in_member = False

    def feed(self, data: bytes, *, final: bool) -> bytes:
        """The bytes ``data`` decodes to; ``final`` checks that the stream ended cleanly."""
        parts: list[bytes] = []
        while data:
            self._in_member = True
            try:
                out = self._zlib.decompress(data, self.limit - self.produced + 1)
            except zlib.error as exc:
                raise RequestBodyError(
                    f"request body is not valid gzip (Content-Encoding: gzip): {exc}"
                ) from None
            self.produced += len(out)
            if self.produced > self.limit:
                raise too_large(self.limit, "request body once gzip-decoded")
            parts.append(out)
            if self._zlib.eof:  # RFC 1952 allows several members, one after the other
                data = self._zlib.unused_data
                self._zlib = zlib.decompressobj(_GZIP_WBITS)
                self._in_member = False
            else:
                data = self._zlib.unconsumed_tail
        if final and self._in_member:
            raise RequestBodyError("request body is truncated gzip (Content-Encoding: gzip)")
        return b"".join(parts)


class BoundedReceive:
    """A ``receive`` that counts, and if need be gzip-decodes, one request's body."""

    def __init__(self, receive: Receive, limit: int, headers: Headers) -> None:
        self._receive = receive
        self.limit = limit
        self._headers = headers
        self._inflater: GzipInflater | None = None
        self._checked = False
        self._received = 0

    def _check_headers(self) -> None:
        """On the first read only: a route that never reads its body never fails here."""
        self._checked = True
        if is_gzip(self._headers.get("content-encoding", "")):
            self._inflater = GzipInflater(self.limit)
        declared = self._headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            raise too_large(self.limit, f"request body of {int(declared)} bytes")

    async def __call__(self) -> Message:
        if not self._checked:
            self._check_headers()
        message = await self._receive()
        if message["type"] != "http.request":
            return message
        body: bytes = message.get("body", b"")
        self._received += len(body)
        if self._received > self.limit:
            raise too_large(self.limit)
        if self._inflater is not None:
            more = bool(message.get("more_body", False))
            body = self._inflater.feed(body, final=not more)
            message = {**message, "body": body}
        return message


class RequestBodyMiddleware:
    """Bounds (and gzip-decodes) every request body but those of ``raw_paths``."""

    def __init__(
        self, app: ASGIApp, *, limit: int, raw_paths: Collection[str] = RAW_BODY_PATHS
    ) -> None:
        self.app = app
        self.limit = limit
        self.raw_paths = raw_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.raw_paths:
            await self.app(scope, receive, send)
            return
        await self.app(scope, BoundedReceive(receive, self.limit, Headers(scope=scope)), send)
