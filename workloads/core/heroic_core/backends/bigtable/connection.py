"""Bigtable client plumbing: credentials, the emulator switch and exception conversion.

Client exceptions become ``BackendUnavailableError`` / ``BackendRejectedError`` through
``google_clients.google_error``, as for every google-cloud client of ours. It never reads or
writes table data.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from heroic_core.backends.errors import BackendError, BackendRejectedError
from heroic_core.backends.google_clients import environment_variable, google_error
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


def describe(config: BigtableMetricConfig) -> str:
    where = config.effective_emulator_endpoint() or "bigtable.googleapis.com"
    return f"bigtable {config.project}/{config.instance}/{config.table} at {where}"


def convert(exc: BaseException, config: BigtableMetricConfig, action: str) -> BackendError:
    """Our error for a client exception raised while doing ``action``."""
    return google_error(exc, f"{describe(config)}: {action} failed")
