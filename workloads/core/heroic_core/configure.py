"""Backend errors that say whether to retry, and ``configure_all``: ``heroic configure``'s work.

``BackendUnavailableError`` (unreachable, timed out: retry later) and ``BackendRejectedError``
(bad configuration, permission denied: retrying will not help) are what every durable backend
raises after converting its client library's exceptions. ``configure_all`` creates what the
configuration names (tables, keyspace, templates, topics, subscriptions) and never drops,
truncates or alters anything that exists. Client libraries are imported only when used.
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
