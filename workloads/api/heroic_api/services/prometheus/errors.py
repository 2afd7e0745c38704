"""Prometheus' error bodies (``{"status": "error", "errorType", "error"}``) for every failure of
a ``/api/v1`` route, mapped from our exception types in one place."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from heroic_api.errors import BackendCallError, RequestBodyError, ShuttingDownError
from heroic_core.backends.errors import BackendError
from heroic_core.errors import HeroicError
from heroic_core.promql.errors import PromQLExecutionError

logger = logging.getLogger(__name__)


class ErrorType(StrEnum):
    """Prometheus' ``errorType`` values and the status each goes with."""

    BAD_DATA = "bad_data"
    EXECUTION = "execution"
    TIMEOUT = "timeout"
    CANCELED = "canceled"
    INTERNAL = "internal"
    UNAVAILABLE = "unavailable"
    NOT_FOUND = "not_found"


STATUS: dict[ErrorType, int] = {
    ErrorType.BAD_DATA: 400,
    ErrorType.EXECUTION: 422,
    ErrorType.TIMEOUT: 503,
    ErrorType.CANCELED: 499,
    ErrorType.INTERNAL: 500,
    ErrorType.UNAVAILABLE: 503,
    ErrorType.NOT_FOUND: 404,
}


class PromAPIError(HeroicError):
    """A failure the client sees as Prometheus' error body with ``error_type``."""

    def __init__(self, error_type: ErrorType, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        # The few statuses Prometheus' errorType cannot tell (415, 413 of remote write).
        self._status = status

    @property
    def status(self) -> int:
        return STATUS[self.error_type] if self._status is None else self._status


def bad_data(message: str) -> PromAPIError:
    return PromAPIError(ErrorType.BAD_DATA, message)


def describe(exc: BaseException) -> tuple[ErrorType, str]:  # noqa: PLR0911 - one case per kind
    """(errorType, message) for any exception a ``/api/v1`` handler raised."""
    if isinstance(exc, PromAPIError):
        return exc.error_type, exc.message
    if isinstance(exc, PromQLExecutionError):
        return ErrorType.EXECUTION, str(exc)
    if isinstance(exc, ShuttingDownError):
        return ErrorType.UNAVAILABLE, str(exc)
    if isinstance(exc, TimeoutError):
        return ErrorType.TIMEOUT, str(exc) or "query timed out"
    if isinstance(exc, BackendError):
        return (ErrorType.UNAVAILABLE if exc.retryable else ErrorType.INTERNAL), str(exc)
    if isinstance(exc, BackendCallError):
        kind = ErrorType.UNAVAILABLE if exc.status == 503 else ErrorType.INTERNAL
        return kind, str(exc)
    if isinstance(exc, HeroicError):
        return ErrorType.BAD_DATA, str(exc)
    if isinstance(exc, ConnectionError):
        return ErrorType.UNAVAILABLE, str(exc)
    return ErrorType.INTERNAL, str(exc) or type(exc).__name__


def error_body(exc: BaseException) -> tuple[int, dict[str, Any]]:
    """(status, body) for ``exc``; server-side failures are logged with their traceback."""
    kind, message = describe(exc)
    status = exc.status if isinstance(exc, PromAPIError | RequestBodyError) else STATUS[kind]
    if status >= 500:
        logger.error("Prometheus API request failed: %s", message, exc_info=exc)
    return status, {"status": "error", "errorType": kind.value, "error": message}
