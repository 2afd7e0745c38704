"""Asking Prometheus and our node the same ``/api/v1`` request and asserting the same answer.

Either side is any client with httpx's ``get``/``post`` (Prometheus gets an ``httpx.Client``,
our in-process node a ``fastapi.testclient.TestClient``, which is built on a fork of httpx), so a
request goes out identically to both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

from .compare import STRICT, Result, Tolerance, differences, normalise, report


class Response(Protocol):
    """What is read of an answer."""

    @property
    def status_code(self) -> int: ...

    def json(self) -> Any: ...


class Client(Protocol):
    """What is asked of a client."""

    def get(self, url: str, *, params: Any = None) -> Response: ...

    def post(self, url: str, *, data: Any = None) -> Response: ...


def success(response: Response, who: str, query: str) -> dict[str, Any]:
    """The ``data`` of a successful answer; anything else fails naming ``who`` and the error."""
    body = response.json()
    if response.status_code != 200 or body.get("status") != "success":
        raise AssertionError(f"{who} refused {query!r}: {response.status_code} {body}")
    data: dict[str, Any] = body["data"]
    return data


def _canonical(items: Any) -> list[str]:
    return sorted(json.dumps(item, sort_keys=True) for item in items)


@dataclass(frozen=True)
class Peers:
    """Prometheus (the reference) and our node."""

    prometheus: Client
    heroic: Client

    def _both(self, method: str, path: str, params: dict[str, Any]) -> tuple[Response, Response]:
        def send(client: Client) -> Response:
            if method == "POST":
                return client.post(path, data=params)
            return client.get(path, params=params)

        return send(self.heroic), send(self.prometheus)

    def assert_same(
        self,
        path: str,
        params: dict[str, str],
        *,
        tolerance: Tolerance = STRICT,
        ordered: bool = False,
        method: str = "GET",
    ) -> Result:
        """Both answer a query successfully and alike; returns Prometheus' normalised answer."""
        query = params.get("query", path)
        ours_response, theirs_response = self._both(method, path, params)
        theirs = normalise(success(theirs_response, "Prometheus", query), ordered=ordered)
        ours = normalise(success(ours_response, "our node", query), ordered=ordered)
        lines = differences(ours, theirs, tolerance)
        assert not lines, report(query, params, lines)
        return theirs

    def assert_same_list(self, path: str, params: dict[str, Any]) -> list[str]:
        """Both answer a metadata request (series, labels, label values) with the same items, in
        any order (Prometheus sorts them, the API does not promise it)."""
        ours_response, theirs_response = self._both("GET", path, params)
        theirs = _canonical(success(theirs_response, "Prometheus", path))
        ours = _canonical(success(ours_response, "our node", path))
        assert ours == theirs, f"{path} {params}: ours={ours} prometheus={theirs}"
        return theirs

    def assert_same_error(self, path: str, params: dict[str, str]) -> str:
        """Both refuse the request with the same status and ``errorType``; returns the type."""
        ours, theirs = self._both("GET", path, params)
        theirs_body, ours_body = theirs.json(), ours.json()
        assert theirs_body.get("status") == "error", f"Prometheus accepted {params}: {theirs_body}"
        expected = (theirs.status_code, theirs_body["errorType"])
        got = (ours.status_code, ours_body.get("errorType"))
        assert got == expected, f"{params}: ours={got} {ours_body} prometheus={expected}"
        return str(expected[1])
