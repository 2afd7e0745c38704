"""What every google-cloud client of ours shares: exception classification and the emulator switch.

The Bigtable backend and the consumer's Pub/Sub provisioning both turn ``google.api_core`` (and
gRPC transport) exceptions into ``BackendUnavailableError`` (retry later) or
``BackendRejectedError`` (retrying will not help) here, and point their clients at an emulator
through the environment variable the client libraries read. Needs the google client libraries
(the ``backends`` extra); no client is created here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from google.api_core import exceptions as gexc
from google.auth.exceptions import DefaultCredentialsError

from heroic_core.backends.errors import BackendError, BackendRejectedError, BackendUnavailableError

# Failures retrying will not fix; everything else (unavailable, deadline exceeded, internal,
# connection refused...) is reported as retryable.
_PERMANENT: tuple[type[BaseException], ...] = (
    DefaultCredentialsError,
    gexc.PermissionDenied,
    gexc.Unauthenticated,
    gexc.InvalidArgument,
    gexc.NotFound,
    gexc.FailedPrecondition,
)


@contextmanager
def environment_variable(name: str, value: str | None) -> Iterator[None]:
    """Set ``name`` to ``value`` (unless ``None``) for the duration, then restore it."""
    previous = os.environ.get(name)
    if value is not None:
        os.environ[name] = value
    try:
        yield
    finally:
        if value is not None:
            if previous is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = previous


def google_error(exc: BaseException, context: str) -> BackendError:
    """Classify a ``google.api_core`` (or gRPC transport) exception; ``context`` prefixes
    the message. Shared by every google-cloud client of ours (Bigtable, Pub/Sub)."""
    if isinstance(exc, BackendError):
        return exc
    cause = _root_cause(exc)
    detail = f"{context}: {type(cause).__name__}: {_message(cause)}"
    if isinstance(cause, _PERMANENT):
        return BackendRejectedError(detail)
    return BackendUnavailableError(detail)


def _root_cause(exc: BaseException) -> BaseException:
    """The most telling exception inside retry wrappers and exception groups."""
    seen = 0
    while seen < 10:
        seen += 1
        if isinstance(exc, BaseExceptionGroup) and exc.exceptions:
            exc = exc.exceptions[-1]
        elif isinstance(exc, gexc.RetryError) and exc.cause is not None:
            exc = exc.cause
        elif isinstance(exc, gexc.DeadlineExceeded) and exc.__cause__ is not None:
            exc = exc.__cause__
        else:
            break
    return exc


def _message(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:300]
