"""Kubernetes timestamps: RFC 3339 in UTC, to the second (``Time``: conditions, Events) or to
the microsecond (``MicroTime``: Leases), and back."""

from __future__ import annotations

from datetime import UTC, datetime


def seconds(value: datetime) -> str:
    """A ``Time`` field: ``2026-12-06T18:30:11Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro(value: datetime) -> str:
    """A ``MicroTime`` field: ``2026-12-06T18:30:11.123456Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse(value: str | None) -> datetime | None:
    """Either form back (``None`` for an empty one); an invalid one raises ``ValueError``."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
