"""The Elasticsearch client of a ``connection:`` block, template setup and error conversion.

Builds an ``AsyncElasticsearch`` (aiohttp) for the REST seeds, with sniffing on start, on
connection faults and every ``sniffInterval`` when ``sniff: true`` (the operator runs
Elasticsearch behind headless Services, so the seeds resolve to the current pods). The one
module that knows the client's exception types. It never deletes or overwrites a template.
"""

from __future__ import annotations

import os
import ssl
from typing import Any

from elasticsearch import AsyncElasticsearch
from elasticsearch import exceptions as es_exc

from heroic_core.backends.elasticsearch.transport import TraceContextTransport
from heroic_core.backends.errors import BackendError, BackendRejectedError, BackendUnavailableError
from heroic_core.config.elasticsearch import (
    ConnectionConfig,
    ElasticsearchPlainAuthentication,
    RestClientConfig,
)

DEFAULT_PORT = 9200
REQUEST_TIMEOUT = 30.0
#: What a search over rotating indices needs: missing indices are fine, wildcards are not used.
#: Query-string values: ``params`` are sent verbatim, so booleans are spelled out.
SEARCH_OPTIONS: dict[str, str] = {
    "ignore_unavailable": "true",
    "allow_no_indices": "true",
    "expand_wildcards": "none",
}

_PERMANENT_STATUS = {400, 401, 403, 404, 405, 413}


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


def security_options(client: RestClientConfig) -> dict[str, Any]:
    """Client keyword arguments for ``authentication``, ``caCertsFile`` and ``verifyCerts``;
    a password that cannot be read is a permanent error naming its source."""
    options: dict[str, Any] = {}
    auth = client.authentication
    if isinstance(auth, ElasticsearchPlainAuthentication):
        try:
            options["http_auth"] = (auth.username, auth.resolve_password())
        except (ValueError, OSError) as exc:
            raise BackendRejectedError(f"elasticsearch password: {exc}") from None
    if client.scheme == "https" or any(s.startswith("https://") for s in client.seeds):
        # use_ssl also applies to the nodes found by sniffing, which come without a scheme.
        options["use_ssl"] = True
        options["verify_certs"] = client.verify_certs
        if client.ca_certs_file is not None:
            if not os.path.exists(client.ca_certs_file):
                raise BackendRejectedError(
                    f"elasticsearch caCertsFile {client.ca_certs_file}: no such file"
                )
            options["ca_certs"] = client.ca_certs_file
    return options


def build_client(connection: ConnectionConfig) -> AsyncElasticsearch:
    """A client for the connection's REST seeds; the transport client is not supported."""
    client = connection.client
    if not isinstance(client, RestClientConfig):
        raise BackendRejectedError(
            "elasticsearch client type 'transport' is not supported; use {type: rest}"
        )
    options: dict[str, Any] = {"timeout": REQUEST_TIMEOUT, "max_retries": 2}
    options["transport_class"] = TraceContextTransport  # W3C traceparent on every request
    options |= security_options(client)
    if client.sniff:
        options.update(
            sniff_on_start=True,
            sniff_on_connection_fail=True,
            sniffer_timeout=client.sniff_interval.seconds,
        )
    return AsyncElasticsearch(seed_urls(client.seeds, client.scheme), **options)


def shards_unavailable(exc: BaseException) -> bool:
    """Elasticsearch answered 503: no copy of some shard could serve the request (a
    just-created index whose primary has not started yet, a node restarting)."""
    return isinstance(exc, es_exc.TransportError) and exc.status_code == 503


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
    if isinstance(exc, es_exc.ConnectionError):
        return False
    if isinstance(exc, es_exc.TransportError) and isinstance(exc.status_code, int):
        return exc.status_code in _PERMANENT_STATUS
    return isinstance(exc, es_exc.ImproperlyConfigured | es_exc.SerializationError)


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
        queue += [item.__cause__, item.__context__, getattr(item, "info", None)]
        queue += [getattr(item, "certificate_error", None)]  # aiohttp's certificate errors
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _message(exc: BaseException) -> str:
    if isinstance(exc, es_exc.TransportError):
        text = f"{type(exc).__name__} {exc.status_code}: {exc.error}"
        info = exc.info if isinstance(exc.info, dict) else None
        reason = ((info or {}).get("error") or {}) if info else {}
        if isinstance(reason, dict) and reason.get("reason"):
            text += f" ({reason['reason']})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:400]


async def ensure_templates(
    client: AsyncElasticsearch, templates: dict[str, dict[str, Any]]
) -> tuple[list[str], list[str]]:
    """Create missing templates; returns (created, existing) names. Existing ones are kept."""
    created: list[str] = []
    existing: list[str] = []
    for name, body in templates.items():
        if await client.indices.exists_template(name=name):
            existing.append(name)
            continue
        try:
            await client.indices.put_template(name=name, body=body, params={"create": "true"})
        except es_exc.RequestError as exc:
            if "already exists" not in str(exc.info):
                raise
            existing.append(name)  # created concurrently by another process
            continue
        created.append(name)
    return created, existing
