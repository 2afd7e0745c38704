"""Bigtable client plumbing: credentials, the emulator switch and exception conversion.

The one place that turns ``google.api_core`` exceptions into ``BackendUnavailableError`` /
``BackendRejectedError``. It never reads or writes table data.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from google.api_core import exceptions as gexc
from google.auth.exceptions import DefaultCredentialsError

from heroic_core.backends.errors import BackendError, BackendRejectedError, BackendUnavailableError
from heroic_core.config.metrics import (
    BigtableMetricConfig,
    ComputeEngineCredentials,
    JsonCredentials,
    ServiceAccountCredentials,
)

EMULATOR_VARIABLE = "BIGTABLE_EMULATOR_HOST"
_SCOPES = [
    "https://www.googleapis.com/auth/bigtable.data",
    "https://www.googleapis.com/auth/bigtable.admin",
]

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


def credentials_for(config: BigtableMetricConfig) -> Any:
    """Credentials for the configured ``credentials`` type; ``None`` means the default chain."""
    if config.effective_emulator_endpoint() is not None:
        return None  # the client uses anonymous credentials against an emulator
    creds = config.credentials
    if isinstance(creds, JsonCredentials):
        from google.oauth2 import service_account  # noqa: PLC0415 - only for this type

        try:
            return service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                creds.path, scopes=_SCOPES
            )
        except (OSError, ValueError) as exc:
            raise BackendRejectedError(f"bigtable credentials file {creds.path}: {exc}") from exc
    if isinstance(creds, ComputeEngineCredentials):
        from google.auth import compute_engine  # noqa: PLC0415 - only for this type

        return compute_engine.Credentials()  # type: ignore[no-untyped-call]
    if isinstance(creds, ServiceAccountCredentials):
        raise BackendRejectedError(
            "bigtable credentials type 'service-account' (a P12 key) is not supported; "
            "use {type: json, path: <key file>} or application-default credentials"
        )
    return None


@contextmanager
def emulator_environment(config: BigtableMetricConfig) -> Iterator[None]:
    """While creating a client, point ``BIGTABLE_EMULATOR_HOST`` at ``emulatorEndpoint``.

    The google clients read the emulator address from the environment only, at construction.
    """
    endpoint = config.effective_emulator_endpoint()
    with environment_variable(EMULATOR_VARIABLE, endpoint), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Connecting to Bigtable emulator")
        yield


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


def describe(config: BigtableMetricConfig) -> str:
    where = config.effective_emulator_endpoint() or "bigtable.googleapis.com"
    return f"bigtable {config.project}/{config.instance}/{config.table} at {where}"


def convert(exc: BaseException, config: BigtableMetricConfig, action: str) -> BackendError:
    """Our error for a client exception raised while doing ``action``."""
    return google_error(exc, f"{describe(config)}: {action} failed")


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
