"""Errors of a reconcile, by how the work queue retries them.

A ``PermanentError`` waits for a change of the resource (``InvalidSpec``: fix the resource);
a ``TemporaryError`` is retried after its ``delay`` (``DependencyNotReady``: a Secret is
missing; ``KubernetesError``: an API request failed). Our own classes, not kopf's: kopf is the
event source only, and the queue (``process.controller``) is what acts on them. This module
holds no logic beyond the messages.
"""

from __future__ import annotations


class PermanentError(Exception):
    """Not retried until the resource changes (or the periodic pass)."""


class TemporaryError(Exception):
    """Retried after ``delay`` seconds."""

    def __init__(self, message: str, delay: float = 10.0) -> None:
        super().__init__(message)
        self.delay = delay


class InvalidSpec(PermanentError):  # noqa: N818 - a state, named as its condition reason
    """The HeroicCluster cannot be reconciled as written; ``reason`` goes into conditions."""

    def __init__(self, message: str, reason: str = "InvalidSpec") -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class DependencyNotReady(TemporaryError):  # noqa: N818 - a state, named as its reason
    """Something the cluster needs is missing (a Secret); retried after ``delay`` seconds."""

    def __init__(self, message: str, reason: str, delay: float = 30.0) -> None:
        super().__init__(message, delay=delay)
        self.reason = reason
        self.message = message


class KubernetesError(TemporaryError):
    """An API request failed (``code`` is the HTTP status); retried with backoff."""

    def __init__(self, message: str, code: int, delay: float = 10.0) -> None:
        super().__init__(message, delay=delay)
        self.code = code
        self.reason = "ApiError"
        self.message = message
