"""Errors of a reconcile, mapped onto kopf's retry semantics.

``InvalidSpec`` is permanent (fix the resource; nothing is retried until it changes);
``DependencyNotReady`` is temporary (retried after ``delay``); ``KubernetesError`` wraps an API
failure that is neither. This module holds no logic beyond the messages.
"""

from __future__ import annotations

import kopf


class InvalidSpec(kopf.PermanentError):
    """The HeroicCluster cannot be reconciled as written; ``reason`` goes into conditions."""

    def __init__(self, message: str, reason: str = "InvalidSpec") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class DependencyNotReady(kopf.TemporaryError):
    """Something the cluster needs is missing (a Secret); retried after ``delay`` seconds."""

    def __init__(self, message: str, reason: str, delay: float = 30.0) -> None:
        super().__init__(message, delay=delay)
        self.reason = reason
        self.message = message


class KubernetesError(kopf.TemporaryError):
    """An API request failed (``code`` is the HTTP status); retried with backoff."""

    def __init__(self, message: str, code: int, delay: float = 10.0) -> None:
        super().__init__(message, delay=delay)
        self.code = code
        self.reason = "ApiError"
        self.message = message
