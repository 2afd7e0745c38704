"""Durations as aggregations carry them: a count plus a Java ``TimeUnit`` (reference 6.1).

Decodes the three JSON forms upstream accepts (string ``"10m"``, number of ms, object
``{"duration": n, "unit": "MINUTES"}``) and converts to milliseconds the way
``TimeUnit.convert`` does (truncating). Pure values; nothing here knows about aggregations.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from heroic_core.errors import JsonMappingError, join_path

#: Milliseconds per unit; the sub-millisecond units divide instead (see ``Duration.to_ms``).
_MS_PER_UNIT = {
    "MILLISECONDS": 1,
    "SECONDS": 1000,
    "MINUTES": 60_000,
    "HOURS": 3_600_000,
    "DAYS": 86_400_000,
}
_PER_MS = {"NANOSECONDS": 1_000_000, "MICROSECONDS": 1000}
TIME_UNITS = frozenset(_MS_PER_UNIT) | frozenset(_PER_MS)

_SUFFIXES = {"ms": "MILLISECONDS", "s": "SECONDS", "m": "MINUTES", "h": "HOURS", "H": "HOURS"}
_SUFFIXES["d"] = "DAYS"
_PATTERN = re.compile(r"^(\d+)([a-zA-Z]*)$")


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time as ``value`` units of ``unit`` (a Java ``TimeUnit`` name)."""

    value: int
    unit: str = "MILLISECONDS"

    def to_ms(self) -> int:
        """Milliseconds, truncating sub-millisecond units like ``TimeUnit.convert``."""
        if self.unit in _PER_MS:
            return int(self.value / _PER_MS[self.unit])
        return self.value * _MS_PER_UNIT[self.unit]

    def with_unit(self, unit: str) -> Duration:
        """The same count in another unit (upstream's ``SamplingQuery`` unit override)."""
        return Duration(self.value, unit)

    def to_json(self) -> dict[str, Any]:
        """The serialized (Jackson) form."""
        return {"duration": self.value, "unit": self.unit}

    @classmethod
    def of_ms(cls, ms: int) -> Duration:
        return cls(ms, "MILLISECONDS")


def fraction_to_ms(count: float, unit: str) -> int:
    """``count`` (not a whole number) of ``unit`` in milliseconds, rounded to the nearest."""
    if unit in _PER_MS:
        return round(count / _PER_MS[unit])
    return round(count * _MS_PER_UNIT[unit])


def parse_time_unit(obj: object, path: str) -> str:
    """A ``TimeUnit`` name, case-insensitive (``"minutes"`` → ``MINUTES``)."""
    if not isinstance(obj, str):
        raise JsonMappingError("time unit must be a string", path)
    unit = obj.upper()
    if unit not in TIME_UNITS:
        allowed = ", ".join(sorted(TIME_UNITS))
        raise JsonMappingError(f"No such time unit: {obj} (expected one of {allowed})", path)
    return unit


def parse_duration_string(text: str, path: str = "") -> Duration:
    """``"10m"``, ``"1H"``, ``"3600"`` (ms), ``"2w"`` (14 days)."""
    match = _PATTERN.match(text)
    if match is None:
        raise JsonMappingError(f"Invalid duration: {text}", path)
    value, suffix = int(match.group(1)), match.group(2)
    if not suffix:
        return Duration(value, "MILLISECONDS")
    if suffix == "w":
        return Duration(value * 7, "DAYS")
    unit = _SUFFIXES.get(suffix)
    if unit is None:
        raise JsonMappingError(f"Invalid unit ({suffix}) in duration: {text}", path)
    return Duration(value, unit)


def _number(obj: object) -> int | None:
    if isinstance(obj, bool) or not isinstance(obj, int | float):
        return None
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return int(obj)


def parse_duration(obj: object, path: str = "") -> Duration:
    """Decode any JSON duration form; a bare number is milliseconds.

    The object form takes the count from ``duration`` (upstream's serialized field) or, as a
    convenience, ``value``; ``unit`` defaults to milliseconds.
    """
    if isinstance(obj, str):
        return parse_duration_string(obj, path)
    number = _number(obj)
    if number is not None:
        return Duration(number, "MILLISECONDS")
    if isinstance(obj, dict):
        return _parse_duration_object(obj, path)
    raise JsonMappingError("Cannot deserialize Duration from input", path)


def _parse_duration_object(obj: dict[str, Any], path: str) -> Duration:
    field = "duration" if "duration" in obj else "value"
    count = _number(obj.get(field))
    if count is None:
        raise JsonMappingError("duration is not a numeric field", join_path(path, field))
    unit = obj.get("unit")
    if unit is None:
        return Duration(count, "MILLISECONDS")
    return Duration(count, parse_time_unit(unit, join_path(path, "unit")))
