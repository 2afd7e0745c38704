"""PromQL errors, by Prometheus' error types: the API node maps each to its ``errorType``."""

from __future__ import annotations

from heroic_core.errors import HeroicError


class PromQLError(HeroicError):
    """A query that cannot be evaluated as written (Prometheus' ``bad_data``)."""


class PromQLUnsupportedError(PromQLError):
    """Valid PromQL that this engine does not evaluate; the message names the construct."""


class PromQLExecutionError(HeroicError):
    """Evaluation failed on the data (duplicate label sets, limits): ``execution``, 422."""
