"""Cassandra ``metric_key`` blobs and per-row offset windows, byte for byte as upstream (8.2).

A partition holds one series over ``ROW_WIDTH`` (2^31 - 1) ms: ``base = t - t mod W`` is part
of the key, ``data_timestamp_offset = t mod W`` is the clustering column. Pure functions only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from heroic_core.backends.rows import check_rows
from heroic_core.backends.serial import Reader, SerialError, cvarint, sstr, string_map
from heroic_core.model import DateRange, Series

ROW_WIDTH = (1 << 31) - 1
#: The Murmur3 partitioner's token ring: Java longs.
MIN_TOKEN = -(1 << 63)
MAX_TOKEN = (1 << 63) - 1

__all__ = [
    "MAX_TOKEN",
    "MIN_TOKEN",
    "ROW_WIDTH",
    "OffsetWindow",
    "SerialError",
    "base_of",
    "decode_metric_key",
    "metric_key",
    "offset_of",
    "percentage_token",
    "windows",
]


def base_of(timestamp: int) -> int:
    return timestamp - timestamp % ROW_WIDTH


def offset_of(timestamp: int) -> int:
    return timestamp % ROW_WIDTH


def metric_key(series: Series, base: int) -> bytes:
    """``sstr(key) + map(tags) + map(resource) + cvarlong(base)``."""
    return sstr(series.key) + string_map(series.tags) + string_map(series.resource) + cvarint(base)


def decode_metric_key(data: bytes) -> tuple[Series, int]:
    reader = Reader(data)
    key = reader.sstr()
    tags = reader.string_map()
    resource = reader.string_map()
    base = reader.cvarint()
    if reader.remaining():
        raise SerialError(f"{reader.remaining()} unexpected trailing bytes in metric key")
    return Series(key, tags, resource), base


@dataclass(frozen=True, slots=True)
class OffsetWindow:
    """Offsets to read in the partition of ``base``: ``after < offset <= last``."""

    base: int
    after: int
    last: int


def windows(range: DateRange) -> Iterator[OffsetWindow]:
    """Per partition, the offsets of ``(range.start, range.end]`` that fall in it."""
    check_rows(range, ROW_WIDTH, "Cassandra")
    first_ts = max(range.start + 1, 0)
    if range.end < first_ts:
        return
    base = base_of(first_ts)
    while base <= range.end:
        after = offset_of(first_ts) - 1 if first_ts >= base else -1
        last = offset_of(range.end) if range.end < base + ROW_WIDTH else ROW_WIDTH - 1
        yield OffsetWindow(base, after, last)
        base += ROW_WIDTH


def percentage_token(percentage: float) -> int:
    """The token ``percentage`` (0..100) of the way around the ring, as upstream's
    ``--start-percentage``/``--end-percentage`` (0 is the lowest token, 100 the highest)."""
    share = Fraction(min(max(percentage, 0.0), 100.0)) / 100
    return int(MIN_TOKEN + (MAX_TOKEN - MIN_TOKEN) * share)
