"""The search engine client of a ``connection:`` block and the conversion of its errors.

Our own small adapter over ``elastic-transport`` (Elastic's maintained transport, the layer
under elasticsearch-py 8 and 9): one code path for Elasticsearch 7.10 to 9 and OpenSearch 2
and 3, with none of the product checks or ``compatible-with`` media types that tie each
elasticsearch-py major to one server major. Requests are plain ``application/json``, which every
supported server accepts. Sniffing (on start, on node failure and every ``sniffInterval``) is
the transport's; its callback reads ``_nodes/_all/http``. The one module that knows the
transport's exception types; it never deletes or overwrites anything.
"""

from __future__ import annotations

import base64
import dataclasses
import os
import ssl
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from elastic_transport import (
    AsyncTransport,
    HttpHeaders,
    NodeConfig,
    SniffOptions,
)
from elastic_transport import (
    ConnectionError as TransportConnectionError,
)
from elastic_transport import (
    SerializationError as TransportSerializationError,
)
from elastic_transport import (
    TransportError as TransportFailure,
)

from heroic_core.backends.errors import BackendError, BackendRejectedError, BackendUnavailableError
from heroic_core.backends.tracecontext import trace_headers
from heroic_core.config.elasticsearch import (
    ConnectionConfig,
    ElasticsearchApiKeyAuthentication,
    ElasticsearchPlainAuthentication,
    RestClientConfig,
)

DEFAULT_PORT = 9200
REQUEST_TIMEOUT = 30.0
JSON = "application/json"
NDJSON = "application/x-ndjson"
#: What a search over rotating indices needs: missing indices are fine, wildcards are not used.
SEARCH_OPTIONS: dict[str, str] = {
    "ignore_unavailable": "true",
    "allow_no_indices": "true",
    "expand_wildcards": "none",
}

_PERMANENT_STATUS = {400, 401, 403, 404, 405, 413}


class ApiError(Exception):
    """The server answered ``status`` >= 400 with ``body`` (decoded JSON where it was JSON)."""

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{status}: {reason(body)}")

    @property
    def status_code(self) -> int:
        """The status under the name the API's error mapping reads (a 400 is the client's)."""
        return self.status

    @property
    def error_type(self) -> str:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return str(error.get("type", "")) if isinstance(error, dict) else ""


def reason(body: Any) -> str:
    """The ``error.reason`` of an error body (or the body itself, shortened)."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return f"{error.get('type', 'error')}: {error.get('reason', '')}"
    return " ".join(str(body).split())[:300]


class SearchClient:
    """The handful of REST calls the backends make, over one ``AsyncTransport``."""

    def __init__(self, transport: AsyncTransport, headers: Mapping[str, str]) -> None:
        self.transport = transport
        self.headers = dict(headers)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        ignore: Sequence[int] = (),
    ) -> Any:
        """The decoded body; ``ApiError`` for a status >= 400 not in ``ignore`` (then None)."""
        status, _, data = await self.exchange(method, path, params=params, body=body, ignore=ignore)
        if status in ignore:
            return None
        return data

    async def exchange(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        ignore: Sequence[int] = (),
    ) -> tuple[int, Mapping[str, str], Any]:
        """Status, headers and decoded body of one request (``ApiError`` as ``request``)."""
        target = path + (f"?{urlencode(params)}" if params else "")
        headers = {**self.headers, "accept": JSON, **trace_headers()}
        if body is not None:
            headers["content-type"] = NDJSON if isinstance(body, list) else JSON
        response = await self.transport.perform_request(method, target, body=body, headers=headers)
        status = response.meta.status
        if status >= 400 and status not in ignore:
            raise ApiError(status, response.body)
        return status, response.meta.headers, response.body

    async def search(self, index: str, body: dict[str, Any], params: Mapping[str, str]) -> Any:
        return await self.request(
            "POST", f"/{quote(index, safe=',*')}/_search", params=params, body=body
        )

    async def bulk(self, actions: list[dict[str, Any]]) -> Any:
        return await self.request("POST", "/_bulk", body=actions)

    async def create(self, index: str, doc_id: str, document: dict[str, Any]) -> bool:
        """Index ``document`` unless its id exists; False if it did (409)."""
        path = f"/{quote(index, safe='')}/_create/{quote(doc_id, safe='')}"
        status, _, _ = await self.exchange("PUT", path, body=document, ignore=(409,))
        return status != 409

    async def refresh(self, index: str, params: Mapping[str, str]) -> None:
        await self.request("POST", f"/{quote(index, safe=',*')}/_refresh", params=params)

    async def ping(self) -> bool:
        try:
            status, _, _ = await self.exchange("GET", "/_cluster/health", ignore=range(400, 600))
        except TransportFailure:
            return False
        return status < 400

    async def close(self) -> None:
        await self.transport.close()


def seed_urls(seeds: list[str], scheme: str = "http") -> list[str]:
    """``host[:port]`` (or a full URL) -> ``<scheme>://host:port``; the port defaults to 9200."""
    urls: list[str] = []
    for seed in seeds:
        if "://" in seed:
            urls.append(seed.rstrip("/"))
            continue
        host, sep, port = seed.rpartition(":")
        if not sep or "]" in port:
            urls.append(f"{scheme}://{seed}:{DEFAULT_PORT}")
        elif not port.isdigit():
            raise BackendRejectedError(f"invalid elasticsearch seed {seed!r}: bad port")
        else:
            urls.append(f"{scheme}://{host}:{port}")
    return urls


def auth_headers(client: RestClientConfig) -> dict[str, str]:
    """The ``Authorization`` header of ``authentication``; a credential that cannot be read is
    a permanent error naming its source."""
    auth = client.authentication
    try:
        if isinstance(auth, ElasticsearchPlainAuthentication):
            token = f"{auth.username}:{auth.resolve_password()}".encode()
            return {"authorization": f"Basic {base64.b64encode(token).decode()}"}
        if isinstance(auth, ElasticsearchApiKeyAuthentication):
            return {"authorization": f"ApiKey {auth.resolve_api_key()}"}
    except (ValueError, OSError) as exc:
        raise BackendRejectedError(f"elasticsearch {auth.type} credential: {exc}") from None
    return {}


def node_configs(client: RestClientConfig) -> list[NodeConfig]:
    """One ``NodeConfig`` per seed, with TLS settings when the scheme is https."""
    secure = client.scheme == "https" or any(s.startswith("https://") for s in client.seeds)
    if client.ca_certs_file is not None and not os.path.exists(client.ca_certs_file):
        raise BackendRejectedError(
            f"elasticsearch caCertsFile {client.ca_certs_file}: no such file"
        )
    nodes = []
    for url in seed_urls(client.seeds, client.scheme):
        parts = urlsplit(url)
        tls: dict[str, Any] = {}
        if parts.scheme == "https" or secure:
            tls = {"verify_certs": client.verify_certs, "ca_certs": client.ca_certs_file}
        nodes.append(
            NodeConfig(
                "https" if secure else parts.scheme,
                parts.hostname or "localhost",
                parts.port or DEFAULT_PORT,
                path_prefix=parts.path.rstrip("/"),
                request_timeout=REQUEST_TIMEOUT,
                **tls,
            )
        )
    return nodes


async def sniff_nodes(transport: AsyncTransport, options: SniffOptions) -> list[NodeConfig]:
    """The HTTP addresses of every node, as ``_nodes/_all/http`` publishes them, asked of the
    known nodes in turn (directly: the transport holds its sniffing lock meanwhile). The seed's
    scheme and TLS settings go with each (sniffed addresses carry no scheme)."""
    headers = HttpHeaders({"accept": JSON, **getattr(transport, "heroic_headers", {})})
    error: Exception | None = None
    for node in transport.node_pool.all():
        try:
            response = await node.perform_request(  # type: ignore[misc]
                "GET", "/_nodes/_all/http", headers=headers, request_timeout=options.sniff_timeout
            )
        except TransportFailure as exc:
            error = exc
            continue
        if response.meta.status >= 400:
            error = ApiError(response.meta.status, response.body)
            continue
        body = transport.serializers.loads(response.body, response.meta.mimetype)
        return [
            dataclasses.replace(node.config, host=host, port=port)
            for host, port in _published(body)
        ]
    raise error or BackendUnavailableError("no node to sniff from")


def _published(nodes: Any) -> list[tuple[str, int]]:
    """``(host, port)`` of each node's ``http.publish_address`` (``host/ip:port`` where the node
    knows a host name, else ``ip:port``)."""
    found = []
    for node in (nodes.get("nodes") or {}).values():
        address = str((node.get("http") or {}).get("publish_address") or "")
        name, _, ip_port = address.rpartition("/")
        ip, _, port = ip_port.rpartition(":")
        if port.isdigit() and (name or ip):
            found.append(((name or ip).strip("[]"), int(port)))
    return found


def build_client(connection: ConnectionConfig) -> SearchClient:
    """A client for the connection's REST seeds; the transport client is not supported."""
    client = connection.client
    if not isinstance(client, RestClientConfig):
        raise BackendRejectedError(
            "elasticsearch client type 'transport' is not supported; use {type: rest}"
        )
    headers = auth_headers(client)
    sniffing: dict[str, Any] = {}
    if client.sniff:
        sniffing = {
            "sniff_on_start": True,
            "sniff_on_node_failure": True,
            # sniff again before a request once sniffInterval has passed since the last time
            "sniff_before_requests": True,
            "min_delay_between_sniffing": client.sniff_interval.seconds,
            "sniff_callback": sniff_nodes,
            "sniff_timeout": REQUEST_TIMEOUT,
        }
    transport = AsyncTransport(
        node_configs(client),
        node_class="aiohttp",
        max_retries=2,
        retry_on_timeout=True,
        meta_header=False,
        **sniffing,
    )
    transport.heroic_headers = headers  # type: ignore[attr-defined]  # for the sniff callback
    return SearchClient(transport, headers)


def shards_unavailable(exc: BaseException) -> bool:
    """The server answered 503: no copy of some shard could serve the request (a
    just-created index whose primary has not started yet, a node restarting)."""
    return isinstance(exc, ApiError) and exc.status == 503


def describe(connection: ConnectionConfig) -> str:
    return f"elasticsearch {','.join(connection.client.seeds)}"


def convert(exc: BaseException, connection: ConnectionConfig, action: str) -> BackendError:
    """Our error for a client exception raised while doing ``action``."""
    if isinstance(exc, BackendError):
        return exc
    detail = f"{describe(connection)}: {action} failed: {_message(exc)}"
    return BackendRejectedError(detail) if _permanent(exc) else BackendUnavailableError(detail)


def _permanent(exc: BaseException) -> bool:
    """Whether retrying cannot help: the request or the configuration must change."""
    if _certificate_rejected(exc):
        return True  # the server's certificate is not trusted (caCertsFile, host name)
    if isinstance(exc, ApiError):
        return exc.status in _PERMANENT_STATUS
    if isinstance(exc, TransportConnectionError):
        return False
    return isinstance(exc, TransportSerializationError | ValueError)


def _certificate_rejected(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it wraps) is a failed TLS certificate verification."""
    seen: list[BaseException] = []
    queue: list[object] = [exc]
    while queue:
        item = queue.pop()
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        if isinstance(item, ssl.SSLCertVerificationError):
            return True
        queue += [item.__cause__, item.__context__, *getattr(item, "errors", ())]
        queue += [getattr(item, "certificate_error", None)]  # aiohttp's certificate errors
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _message(exc: BaseException) -> str:
    if isinstance(exc, ApiError):
        text = f"{exc.status} {reason(exc.body)}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:400]
