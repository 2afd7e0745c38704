"""The caller's trace reaches Elasticsearch: every request the metadata backend sends during
a traced query carries a W3C ``traceparent`` of that trace, whose parent is the exported
metadata-lookup span.

Elasticsearch 7 does not show the headers it got, so the test puts a recording proxy between
the API node and the test environment's Elasticsearch (indices of its own, dropped after).
"""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from heroic_api.main import create_app
from heroic_core.config import HeroicConfig
from tests.integration.backends.search_engines import drop_prefix

from .otlp_receiver import ReceivedSpan, otlp_receiver

pytestmark = pytest.mark.elasticsearch

CALLER_TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
CALLER_SPAN_ID = "b7ad6b7169203331"
_HOP_BY_HOP = {"host", "connection", "content-length", "transfer-encoding", "keep-alive"}


def _es(method: str, path: str, body: bytes | None = None) -> None:
    url = os.environ["ELASTICSEARCH_URL"].rstrip("/") + path
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30):  # noqa: S310 - loopback
            pass
    except urllib.error.HTTPError as exc:
        if exc.code != 404:
            raise


@contextmanager
def recording_proxy() -> Iterator[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """A proxy to the test environment's Elasticsearch; yields its URL and, per request,
    ``(path, headers)``."""
    seen: list[tuple[str, dict[str, str]]] = []
    target = os.environ["ELASTICSEARCH_URL"].rstrip("/")

    class Handler(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length) if length else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            seen.append((self.path, headers))
            forwarded = {k: v for k, v in headers.items() if k not in _HOP_BY_HOP}
            request = urllib.request.Request(  # noqa: S310 - loopback
                target + self.path, data=body, headers=forwarded, method=self.command
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                    status, content, kind = answer.status, answer.read(), answer.headers
            except urllib.error.HTTPError as exc:
                status, content, kind = exc.code, exc.read(), exc.headers
            self.send_response(status)
            self.send_header("Content-Type", kind.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward  # noqa: N815

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _metadata_backend(prefix: str, seed: str) -> dict[str, Any]:
    return {
        "type": "elasticsearch",
        "configure": True,
        "templateName": prefix,
        "connection": {
            "index": {"type": "rotating", "pattern": f"{prefix}-%s", "interval": "7d"},
            "client": {"type": "rest", "seeds": [seed]},
        },
    }


def test_elasticsearch_requests_of_a_query_carry_its_traceparent() -> None:
    prefix = f"test-trace-{uuid.uuid4().hex[:10]}"
    now = int(time.time() * 1000)
    try:
        with recording_proxy() as (proxy, seen), otlp_receiver() as receiver:
            config = HeroicConfig.from_dict(
                {
                    "metrics": {"backends": [{"type": "memory"}]},
                    "metadata": {"backends": [_metadata_backend(prefix, proxy)]},
                    "suggest": {"backends": [{"type": "memory"}]},
                    "tracing": {"probability": 1.0, "otlp": {"endpoint": receiver.url}},
                }
            )
            with TestClient(create_app(config)) as client:
                series = {"key": "cpu", "tags": {"host": "a"}}
                write = {"series": series, "data": {"type": "points", "data": [[now, 1.0]]}}
                assert client.post("/write", json=write).status_code == 200
                _es("POST", f"/{prefix}-*/_refresh")
                seen.clear()
                body = {"range": {"type": "relative", "unit": "MINUTES", "value": 5}}
                headers = {
                    "X-Client-Id": "t",
                    "traceparent": f"00-{CALLER_TRACE_ID}-{CALLER_SPAN_ID}-01",
                }
                response = client.post("/query/metrics", json=body, headers=headers)
                assert response.status_code == 200, response.text
                assert len(response.json()["result"]) == 1
            spans = receiver.wait_for(
                lambda got: any(s.name == "localMetricsManager.findSeries" for s in got)
            )
    finally:
        drop_prefix(os.environ["ELASTICSEARCH_URL"], prefix)
    lookup: ReceivedSpan = next(s for s in spans if s.name == "localMetricsManager.findSeries")
    assert lookup.trace_id == CALLER_TRACE_ID
    searches = [headers for path, headers in seen if "_search" in path]
    assert searches, f"no search went through the proxy: {[p for p, _ in seen]}"
    assert {h.get("traceparent") for h in searches} == {f"00-{CALLER_TRACE_ID}-{lookup.span_id}-01"}
