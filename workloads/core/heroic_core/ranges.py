"""Query ranges as requests give them: ``QueryDateRange`` (absolute or relative), decoded and
checked, and evaluated against ``now`` (reference 2.6).

The JSON decoder and HQL (whose ``from ...`` ranges are absolute) yield these same objects and
check them the same way. Pure functions of their arguments: ``now`` is always passed in; this
module must not read clocks.

Difference from upstream, on purpose: an absolute range must end by 9999-12-31 (upstream took
any Java long); later instants are a 400 naming the field instead of overflowing date
arithmetic downstream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from heroic_core.errors import JsonMappingError, RequestError, join_path
from heroic_core.model import DateRange

#: Java ``TimeUnit`` names → (numerator, denominator) of the conversion to milliseconds.
TIME_UNITS: dict[str, tuple[int, int]] = {
    "NANOSECONDS": (1, 1_000_000),
    "MICROSECONDS": (1, 1_000),
    "MILLISECONDS": (1, 1),
    "SECONDS": (1_000, 1),
    "MINUTES": (60_000, 1),
    "HOURS": (3_600_000, 1),
    "DAYS": (86_400_000, 1),
}

#: 9999-12-31T23:59:59.999Z: the last instant the API can print (error messages show dates).
MAX_INSTANT = 253_402_300_799_999


def unit_to_millis(unit: str, value: int) -> int:
    """``TimeUnit.toMillis(value)``: truncating for sub-millisecond units."""
    numerator, denominator = TIME_UNITS[unit]
    scaled = value * numerator
    quotient = abs(scaled) // denominator
    return quotient if scaled >= 0 else -quotient


@dataclass(frozen=True, slots=True)
class AbsoluteRange:
    """``{"type": "absolute", "start": ms, "end": ms}``."""

    start: int
    end: int

    def evaluate(self, now: int) -> DateRange | None:
        """The range, or ``None`` when empty (upstream treats it as absent)."""
        if self.end - self.start <= 0:
            return None
        return DateRange(self.start, self.end)

    def to_json(self) -> dict[str, Any]:
        return {"type": "absolute", "start": self.start, "end": self.end}


@dataclass(frozen=True, slots=True)
class RelativeRange:
    """``{"type": "relative", "unit": "<TimeUnit>", "value": n}`` → ``[now - n·unit, now]``."""

    unit: str
    value: int

    def evaluate(self, now: int) -> DateRange | None:
        """The range ending at ``now``, or ``None`` when ``value <= 0``."""
        if self.value <= 0:
            return None
        start = now - unit_to_millis(self.unit, self.value)
        if start < 0:
            raise RequestError(
                f"range: {self.value} {self.unit.lower()} before now is before the epoch"
            )
        return DateRange(start, now)

    def to_json(self) -> dict[str, Any]:
        return {"type": "relative", "unit": self.unit, "value": self.value}


QueryDateRange = AbsoluteRange | RelativeRange


def _integer(obj: Mapping[str, Any], name: str, path: str) -> int:
    value = obj.get(name)
    where = join_path(path, name)
    if value is None:
        raise JsonMappingError(f"missing required field '{name}'", where)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise JsonMappingError(f"'{name}' must be an integer", where)
    try:
        number = float(value) if isinstance(value, str) else value
    except ValueError:
        raise JsonMappingError(f"'{name}' must be an integer, got {value!r}", where) from None
    if isinstance(number, float) and not number.is_integer():
        raise JsonMappingError(f"'{name}' must be an integer, got {value!r}", where)
    return int(number)


def absolute_range(start: int, end: int, path: str) -> AbsoluteRange:
    """``[start, end]`` if it is a range the API accepts, else a ``json-error`` at ``path``."""
    if start < 0:
        raise JsonMappingError(f"range start must not be negative, got {start}", path)
    if end > MAX_INSTANT:
        raise JsonMappingError(
            f"range end must be at most {MAX_INSTANT} (year 9999), got {end}", path
        )
    if end < start:
        raise JsonMappingError(f"range end ({end}) is before start ({start})", path)
    return AbsoluteRange(start, end)


def decode_date_range(obj: Any, path: str = "range") -> QueryDateRange:
    """Decode a QueryDateRange; bad shapes raise ``JsonMappingError`` naming the field."""
    if not isinstance(obj, Mapping):
        raise JsonMappingError("range must be an object with a 'type'", path)
    kind = obj.get("type")
    if kind == "absolute":
        return absolute_range(_integer(obj, "start", path), _integer(obj, "end", path), path)
    if kind == "relative":
        unit = obj.get("unit") or "DAYS"
        if not isinstance(unit, str) or unit.upper() not in TIME_UNITS:
            valid = ", ".join(TIME_UNITS)
            raise JsonMappingError(
                f"unknown time unit {unit!r} (one of {valid})", join_path(path, "unit")
            )
        return RelativeRange(unit.upper(), _integer(obj, "value", path))
    raise JsonMappingError(
        f"unknown range type {kind!r} (expected 'absolute' or 'relative')",
        join_path(path, "type"),
    )
