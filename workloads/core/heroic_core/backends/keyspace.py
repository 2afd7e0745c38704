"""Row keys of metric backends as values: ``BackendKey`` (a series over one row period), the
range of keys a scan covers (``KeyRange``), and a key a scan could not decode.

Upstream's ``BackendKey``/``BackendKeyFilter`` (the shell's ``keys``, ``count-data``,
``delete-keys`` and ``data-migrate``). Pure values: no I/O, no store-specific byte layout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from heroic_core.errors import RequestError
from heroic_core.model import MetricType, Series

__all__ = ["BackendKey", "KeyRange", "UnreadableKey"]


@dataclass(frozen=True, slots=True)
class BackendKey:
    """One row (partition) of a metric backend: ``series`` over the period starting at
    ``base`` (ms); ``token`` is Cassandra's partitioner token where the scan reported one."""

    series: Series
    base: int
    token: int | None = None

    def to_json(self) -> dict[str, Any]:
        """Upstream's JSON form (``type`` is always ``points``: only points are keyed)."""
        return {
            "series": self.series.to_json(),
            "base": self.base,
            "type": MetricType.POINTS.value,
            "token": self.token,
        }

    @classmethod
    def from_json(cls, obj: Any) -> BackendKey:
        """Decode ``{"series": {...}, "base": n}`` (``type`` and ``token`` optional);
        ``RequestError`` names what is wrong."""
        if not isinstance(obj, Mapping):
            raise RequestError("a key must be an object with series and base")
        series, base = obj.get("series"), obj.get("base", 0)
        try:
            decoded = Series.from_json(series if series is not None else {"key": ""})
        except TypeError as exc:
            raise RequestError(f"key series: {exc}") from None
        if isinstance(base, bool) or not isinstance(base, int):
            raise RequestError(f"key base must be an integer, got {base!r}")
        kind = obj.get("type") or MetricType.POINTS.value
        if kind != MetricType.POINTS.value:
            raise RequestError(f"key type must be 'points' (the only keyed type), not {kind!r}")
        token = obj.get("token")
        if token is not None and (isinstance(token, bool) or not isinstance(token, int)):
            raise RequestError(f"key token must be an integer, got {token!r}")
        return cls(decoded, base, token)


@dataclass(frozen=True, slots=True)
class UnreadableKey:
    """A stored row key that does not decode (written by something else, or corrupt)."""

    raw: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class KeyRange:
    """Which keys a scan returns, in the backend's own key order: from ``start`` (inclusive)
    to ``end`` (exclusive), at most ``limit``. Tokens and percentages of the token ring are
    Cassandra's (upstream's ``--start-token``, ``--start-percentage``); a store without a
    token ring refuses them. ``page_size`` is how many keys one request reads."""

    start: BackendKey | None = None
    end: BackendKey | None = None
    start_token: int | None = None
    end_token: int | None = None
    start_percentage: float | None = None
    end_percentage: float | None = None
    limit: int | None = None
    page_size: int | None = None

    def __post_init__(self) -> None:
        for name in ("start_percentage", "end_percentage"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 100:
                raise RequestError(f"{name} must be between 0 and 100, got {value}")
        if self.limit is not None and self.limit < 0:
            raise RequestError(f"limit must not be negative, got {self.limit}")
        if self.page_size is not None and self.page_size <= 0:
            raise RequestError(f"page size must be positive, got {self.page_size}")

    def uses_tokens(self) -> bool:
        """True if a bound is a token or a percentage of the token ring."""
        bounds = (self.start_token, self.end_token, self.start_percentage, self.end_percentage)
        return any(b is not None for b in bounds)
