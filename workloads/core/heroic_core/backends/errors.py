"""Errors of the durable backends, saying whether a retry can help.

``BackendUnavailableError`` (unreachable, timed out: retry later) and ``BackendRejectedError``
(bad configuration, permission denied, a request the store refuses: retrying will not help) are
what every durable backend raises after converting its client library's exceptions, and what
``heroic configure``, the consumer and the API's error mapping tell apart. This module must stay
free of client libraries and import nothing of ours but the error base class.
"""

from __future__ import annotations

from typing import ClassVar

from heroic_core.errors import HeroicError


class BackendError(HeroicError):
    """A durable backend failed; ``retryable`` tells a transient failure from a permanent one."""

    retryable: ClassVar[bool] = True


class BackendUnavailableError(BackendError):
    """The backend could not be reached or did not answer in time; retrying may succeed."""

    retryable = True


class BackendRejectedError(BackendError):
    """The backend refused the request (permissions, invalid schema or settings)."""

    retryable = False
