"""The one error the Kubernetes interface raises: an API request that did not succeed."""

from __future__ import annotations


class ApiRequestError(Exception):
    """``status`` is the HTTP status (0 when no answer came); ``message`` is the API server's."""

    def __init__(self, status: int, message: str, reason: str = "") -> None:
        super().__init__(f"{status} {reason}: {message}" if reason else f"{status}: {message}")
        self.status = status
        self.message = message
        self.reason = reason

    @property
    def not_found(self) -> bool:
        return self.status == 404
