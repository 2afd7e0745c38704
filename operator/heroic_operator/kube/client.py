"""The operator's interface to the Kubernetes API, on the official client's asyncio half
(``kubernetes.aio``).

Every call is one REST request made through the client's ``ApiClient.call_api`` (its
configuration, TLS, token refresh and connection pool) on a path from ``resources``; bodies are
read as raw JSON (orjson), not as generated model classes: the operator only reads dicts, and
skipping the models' deserialisation is most of a request's CPU. Nothing here decides anything;
``ApiRequestError`` is the only error it raises.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import urllib.request
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import orjson
from kubernetes.aio import client as aio_client
from kubernetes.aio import config as aio_config

from heroic_operator import naming
from heroic_operator.kube.errors import ApiRequestError
from heroic_operator.kube.resources import resource

JSON = "application/json"
#: Server-side apply's type, with a parameter the API server ignores: the client then sends the
#: body as given (JSON encoded by orjson, which is YAML too) instead of sanitising and encoding
#: it again with the standard library (a tenth of an apply's CPU).
APPLY_PATCH = "application/apply-patch+yaml; charset=utf-8"
#: A request that takes longer than this is failed and retried by the work queue.
REQUEST_TIMEOUT_SECONDS = 30.0
#: How long the API server keeps one watch request open (then it is made again).
WATCH_SECONDS = 300
#: Requests in flight at once (watches aside, which hold a connection each for minutes). A
#: burst of reconciles beyond this waits for a turn rather than opening a connection: each TLS
#: handshake costs more CPU than a request, each connection its buffers, and the API server
#: answers no faster. The connection pool itself is unbounded, so that watches never starve it.
CONCURRENT_REQUESTS = 16


@dataclass(frozen=True)
class Listing:
    items: list[dict[str, Any]]
    resource_version: str
    #: When the API server answered (its ``Date``, to the second), if it said.
    served_at: datetime | None = None


def _server_time(value: str | None) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None


def _selector(labels: Mapping[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


class Kube:
    """Typed-by-kind, JSON-in/JSON-out access to one API server."""

    def __init__(self, api: aio_client.ApiClient, field_manager: str) -> None:
        self.api = api
        self.field_manager = field_manager
        self._turns = asyncio.Semaphore(CONCURRENT_REQUESTS)

    async def close(self) -> None:
        await self.api.close()

    # --- the one request ------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = JSON,
        timeout: float | aiohttp.ClientTimeout = REQUEST_TIMEOUT_SECONDS,
    ) -> Any:
        """Send one request; the answer's body is not read yet."""
        headers = {"Accept": JSON, "Content-Type": content_type}
        params = list((query or {}).items())
        try:
            # kubernetes 37+ (OpenAPI generator 7): the request is serialised, then sent
            request = await self.api.param_serialize(
                method,
                path,
                query_params=params,
                header_params=headers,
                body=body,
                auth_settings=["BearerToken"],
            )
            return await self.api.call_api(
                *request, _request_timeout=timeout, _preload_content=False
            )
        except aio_client.ApiException as exc:
            raise ApiRequestError(exc.status or 0, str(exc.reason or exc)) from None
        except (OSError, TimeoutError, aiohttp.ClientError) as exc:
            raise ApiRequestError(0, f"{method} {path}: {exc or type(exc).__name__}") from None

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = JSON,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> dict[str, Any]:
        answer, _ = await self._answer(
            method, path, query=query, body=body, content_type=content_type, timeout=timeout
        )
        return answer

    async def _answer(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = JSON,
        timeout: float = REQUEST_TIMEOUT_SECONDS,
    ) -> tuple[dict[str, Any], Mapping[str, str]]:
        """The answer's JSON and headers."""
        async with self._turns:
            response = await self._send(
                method, path, query=query, body=body, content_type=content_type, timeout=timeout
            )
            try:
                raw = await response.read()
            except (OSError, TimeoutError, aiohttp.ClientError) as exc:
                what = f"{method} {path}: {exc or type(exc).__name__}"
                raise ApiRequestError(0, what) from None
        if not 200 <= response.status < 300:
            raise _error(response.status, raw, f"{method} {path}")
        try:
            return (orjson.loads(raw) if raw else {}), response.headers
        except orjson.JSONDecodeError:
            # only a proxied answer can be other than JSON
            raise ApiRequestError(response.status, f"{method} {path}: not JSON") from None

    async def watch(
        self,
        kind: str,
        namespace: str | None,
        *,
        labels: Mapping[str, str] | None = None,
        resource_version: str = "",
        timeout_seconds: int = WATCH_SECONDS,
    ) -> AsyncIterator[dict[str, Any]]:
        """One watch request: each event it streams (``type`` and ``object``; bookmarks too),
        until the server ends it after ``timeout_seconds``."""
        path = resource(kind).path(namespace)
        query = {"watch": "true", "allowWatchBookmarks": "true"}
        query["timeoutSeconds"] = str(timeout_seconds)
        if labels:
            query["labelSelector"] = _selector(labels)
        if resource_version:
            query["resourceVersion"] = resource_version
        # no total timeout: the server ends the stream; a silent connection is dead after a while
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=REQUEST_TIMEOUT_SECONDS, sock_read=timeout_seconds + 30
        )
        response = await self._send("GET", path, query=query, timeout=timeout)
        try:
            if not 200 <= response.status < 300:
                raise _error(response.status, await response.read(), f"watch {path}")
            async for line in response.response.content:
                if line.strip():
                    yield orjson.loads(line)
        except (OSError, TimeoutError, aiohttp.ClientError, ValueError) as exc:
            # ValueError: a line longer than the client's buffer, or not JSON
            raise ApiRequestError(0, f"watch {path}: {exc or type(exc).__name__}") from None
        finally:
            response.response.release()

    # --- verbs ----------------------------------------------------------------------------

    async def get(self, kind: str, name: str, namespace: str | None = None) -> dict[str, Any]:
        return await self.request("GET", resource(kind).path(namespace, name))

    async def find(
        self, kind: str, name: str, namespace: str | None = None
    ) -> dict[str, Any] | None:
        """``get``, or ``None`` when it does not exist."""
        try:
            return await self.get(kind, name, namespace)
        except ApiRequestError as exc:
            if exc.not_found:
                return None
            raise

    async def list(
        self, kind: str, namespace: str | None = None, labels: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Every object of ``kind`` (with ``kind`` and ``apiVersion`` set, as lists omit them)."""
        return (await self.listing(kind, namespace, labels)).items

    async def listing(
        self, kind: str, namespace: str | None = None, labels: Mapping[str, str] | None = None
    ) -> Listing:
        """``list``, with the resourceVersion a watch of the same objects continues from and
        the API server's time of the answer."""
        res = resource(kind)
        query = {"labelSelector": _selector(labels)} if labels else None
        answer, headers = await self._answer("GET", res.path(namespace), query=query)
        items = list(answer.get("items") or [])
        for item in items:
            item["kind"] = res.kind
            item["apiVersion"] = res.api_version
        version = str((answer.get("metadata") or {}).get("resourceVersion") or "")
        return Listing(items, version, _server_time(headers.get("Date")))

    async def proxy_get(
        self, service: str, namespace: str, port: str, path: str, *, timeout: float
    ) -> dict[str, Any]:
        """GET ``path`` of one of a Service's pods through the API server's service proxy (the
        answer must be JSON); needs RBAC ``services/proxy`` get."""
        base = resource("Service").path(namespace, f"{service}:{port}")
        return await self.request("GET", f"{base}/proxy/{path.lstrip('/')}", timeout=timeout)

    async def apply(self, obj: Mapping[str, Any], *, subresource: str = "") -> dict[str, Any]:
        """Server-side apply of ``obj`` with our field manager and ``force``: we own exactly the
        fields we send (``subresource="status"`` applies the status)."""
        res = resource(str(obj["kind"]))
        meta = obj["metadata"]
        path = res.path(meta.get("namespace"), meta["name"])
        if subresource:
            path += f"/{subresource}"
        query = {"fieldManager": self.field_manager, "force": "true"}
        body = orjson.dumps(obj)
        return await self.request("PATCH", path, query=query, body=body, content_type=APPLY_PATCH)

    async def create(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        res = resource(str(obj["kind"]))
        query = {"fieldManager": self.field_manager}
        path = res.path(obj["metadata"].get("namespace"))
        return await self.request("POST", path, query=query, body=obj)

    async def replace(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """PUT: fails with 409 when ``metadata.resourceVersion`` is not the current one."""
        res = resource(str(obj["kind"]))
        meta = obj["metadata"]
        query = {"fieldManager": self.field_manager}
        return await self.request(
            "PUT", res.path(meta.get("namespace"), meta["name"]), query=query, body=obj
        )

    async def delete(self, kind: str, name: str, namespace: str | None = None) -> bool:
        """Delete with background propagation; ``False`` when it was already gone."""
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Background"}
        try:
            await self.request("DELETE", resource(kind).path(namespace, name), body=body)
        except ApiRequestError as exc:
            if exc.not_found:
                return False
            raise
        return True


def _error(status: int, raw: bytes, what: str) -> ApiRequestError:
    """The API server's ``Status`` message, or the raw text (an unknown path answers text)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict) and body.get("kind") == "Status":
        return ApiRequestError(
            status, str(body.get("message") or what), str(body.get("reason") or "")
        )
    text = raw.decode("utf-8", "replace").strip()[:500]
    return ApiRequestError(status, f"{what}: {text or 'no message'}")


async def connect(kubeconfig: str | None = None, field_manager: str | None = None) -> Kube:
    """A ``Kube`` from a kubeconfig file, else the in-cluster ServiceAccount, else
    ``$KUBECONFIG`` / ``~/.kube/config`` (the order kopf's login uses too)."""

    configuration = aio_client.Configuration()
    if kubeconfig:
        await aio_config.load_kube_config(
            config_file=kubeconfig, client_configuration=configuration, persist_config=False
        )
    elif os.environ.get("KUBERNETES_SERVICE_HOST"):
        aio_config.load_incluster_config(client_configuration=configuration)
    else:
        await aio_config.load_kube_config(client_configuration=configuration, persist_config=False)
    configuration.connection_pool_maxsize = 0  # unbounded (aiohttp): see CONCURRENT_REQUESTS
    _without_environment_lookups(configuration)
    return Kube(aio_client.ApiClient(configuration), field_manager or naming.FIELD_MANAGER)


def _without_environment_lookups(configuration: aio_client.Configuration) -> None:
    """The client's aiohttp session trusts the environment by default, so every request reads
    ~/.netrc and the proxy variables in a worker thread: about a tenth of the operator's CPU.
    Where no proxy is configured there is nothing to find, so the session is made without
    (the client creates it at the first request, with ``client_session_kwargs``)."""
    if urllib.request.getproxies():
        return
    configuration.client_session_kwargs = {
        **(configuration.client_session_kwargs or {}),
        "trust_env": False,
    }
