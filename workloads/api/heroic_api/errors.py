"""One place that turns every error into upstream Heroic's HTTP error body (reference 2.2).

Every HTTP-level error body is ``{"type", "message", "reason", "status"}`` plus kind-specific
fields. Routers and services raise domain errors (``heroic_core.errors``) or the few HTTP-edge
errors defined here; nothing else in the package builds an error body.

Differences from upstream, on purpose (reference 12-13 list them as Java bugs):

* Semantic request errors ("Range must be present", an unknown aggregation, an impossible
  range, an empty write batch) are 400 with a message, never 500 ``internal-error``. When the
  failing place is a JSON field they are ``json-error`` with its ``path``; otherwise the
  generic kind ``error`` with status 400.
* An empty or missing body is 400 ``json-error`` "missing request body" (path ``""``).
* A backend that cannot be reached (``ConnectionError``/``TimeoutError``, or a durable
  backend's ``BackendUnavailableError``) is 503 ``internal-error`` rather than 500; a durable
  backend refusing a request (``BackendRejectedError``) is 500, except when the backend
  answered HTTP 400 (the client's regex or sizes), which is a 400 ``error``. Both are
  ``HeroicError``s and must not fall through to the generic 400.

This module must not import routers or services, and must not log request bodies.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from heroic_api.responses import HeroicJSONResponse
from heroic_core.backends.errors import BackendError
from heroic_core.errors import HeroicError, JsonMappingError, QueryParseError

logger = logging.getLogger(__name__)


class JsonParseError(HeroicError):
    """The body is not well-formed JSON (400 ``json-parse-error``); line and col are 1-based."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.line = line
        self.col = col


class AuthenticationError(HeroicError):
    """A ``/query/*`` request without ``X-Client-Id`` (400 ``authentication-error``)."""

    def __init__(self) -> None:
        super().__init__("Anonymous requests are not permitted")


class ShuttingDownError(HeroicError):
    """The node is stopping (503 ``internal-error``)."""

    def __init__(self) -> None:
        super().__init__("Heroic is shutting down")


class RequestBodyError(HeroicError):
    """A body that cannot be read: too large (413), in a ``Content-Encoding`` we do not decode
    (415), or not the gzip stream it claims to be (400). Raised while the route reads it."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


class UnsupportedMediaTypeError(RequestBodyError):
    """The body's content type is not one the endpoint reads (415 ``error``)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, 415)


class BackendCallError(Exception):
    """A call into a backend failed (500), or could not reach it (503)."""

    def __init__(self, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.status = status

    @classmethod
    def wrap(cls, what: str, exc: BaseException) -> BackendCallError:
        """``"<what>: <cause>"``, 503 for connection problems and timeouts."""
        unreachable = isinstance(exc, ConnectionError | TimeoutError)
        return cls(f"{what}: {exc or type(exc).__name__}", 503 if unreachable else 500)


class TooManyQueriesError(BackendCallError):
    """Too many large queries at once (503 ``internal-error`` with ``Retry-After``)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, 503)
        self.headers = {"Retry-After": str(retry_after)}


def reason_phrase(status: int) -> str:
    """The HTTP reason phrase upstream puts in ``reason`` (``"Bad Request"``)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def error_body(kind: str, message: str, status: int, **extra: Any) -> dict[str, Any]:
    """The upstream error body: common fields first, then the kind-specific ones."""
    return {
        "type": kind,
        "message": message,
        "reason": reason_phrase(status),
        "status": status,
        **extra,
    }


def _describe(exc: BaseException) -> tuple[str, int, dict[str, Any]]:  # noqa: PLR0911
    """(kind, status, extra fields) for an exception; the message is taken separately."""
    if isinstance(exc, JsonMappingError):
        return "json-error", 400, {"path": exc.path}
    if isinstance(exc, JsonParseError):
        return "json-parse-error", 400, {"line": exc.line, "col": exc.col}
    if isinstance(exc, QueryParseError):
        extra = {"line": exc.line, "col": exc.col, "lineEnd": exc.line_end, "colEnd": exc.col_end}
        return "parse-error", 400, extra
    if isinstance(exc, AuthenticationError):
        return "authentication-error", 400, {}
    if isinstance(exc, ShuttingDownError):
        return "internal-error", 503, {}
    if isinstance(exc, RequestBodyError):
        return "error", exc.status, {}
    if isinstance(exc, BackendError):
        if _rejected_as_bad_request(exc):
            return "error", 400, {}
        return "internal-error", 503 if exc.retryable else 500, {}
    if isinstance(exc, HeroicError):
        return "error", 400, {}
    if isinstance(exc, BackendCallError):
        return "internal-error", exc.status, {}
    if isinstance(exc, StarletteHTTPException):
        return "error", exc.status_code, {}
    if isinstance(exc, ConnectionError | TimeoutError):
        return "internal-error", 503, {}
    return "internal-error", 500, {}


def _rejected_as_bad_request(exc: BaseException) -> bool:
    """A backend answered HTTP 400 to a request built from the client's input.

    Elasticsearch does so for a regex too complex to determinize or longer than it allows,
    and for sizes beyond its result window: the client's input, so a 400 (with the backend's
    reason in the message), not a server error. Duck-typed on the client exception's
    ``status_code`` so this module stays free of backend libraries.
    """
    return (
        not getattr(exc, "retryable", True) and getattr(exc.__cause__, "status_code", None) == 400
    )


def _message(exc: BaseException) -> str:
    if isinstance(exc, StarletteHTTPException):
        return str(exc.detail)
    if isinstance(exc, RequestValidationError):
        return "; ".join(str(e.get("msg", e)) for e in exc.errors()) or "invalid request"
    text = str(exc)
    return text if text else type(exc).__name__


def error_response(exc: BaseException) -> Response:
    """The JSON error response for ``exc``; unexpected exceptions are logged with traceback."""
    if isinstance(exc, RequestValidationError):
        kind, status, extra = "json-error", 400, {"path": _validation_path(exc)}
    else:
        kind, status, extra = _describe(exc)
    message = _message(exc)
    if isinstance(exc, TooManyQueriesError):  # expected under load, and counted
        logger.info("Request refused: %s", message)
    elif status >= 500:
        logger.error("Request failed: %s", message, exc_info=exc)
    with_headers = isinstance(exc, StarletteHTTPException | TooManyQueriesError)
    headers = getattr(exc, "headers", None) if with_headers else None
    return HeroicJSONResponse(error_body(kind, message, status, **extra), status, headers=headers)


def _validation_path(exc: RequestValidationError) -> str:
    errors = exc.errors()
    if not errors:
        return ""
    return json_path(tuple(errors[0].get("loc", ()))[1:])


def json_path(loc: tuple[Any, ...]) -> str:
    """A pydantic ``loc`` as upstream's dotted JSON path (``options.groupLimit``, ``a[0]``)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out


async def handle_exception(request: Request, exc: Exception) -> Response:
    """Starlette exception handler delegating to :func:`error_response`."""
    return error_response(exc)
