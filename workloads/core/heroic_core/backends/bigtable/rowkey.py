"""Bigtable row keys, column qualifiers and cell values, byte for byte as upstream (ref. 8.1).

A row holds one series over one ``PERIOD`` (2^32 ms): ``base = t - t mod PERIOD`` goes in the
key, ``offset = t mod PERIOD`` is the 4-byte big-endian qualifier, the cell value is an 8-byte
big-endian double. Pure functions only; no client library is imported here.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from heroic_core.backends.rows import check_rows
from heroic_core.backends.serial import (
    Reader,
    SerialError,
    bstr,
    cvarint,
    java_sorted,
    sstr,
    string_map,
)
from heroic_core.model import DateRange, Series

PERIOD = 1 << 32
#: Upstream drops (logs, does not fail) writes whose row key is at least this long.
MAX_ROW_KEY_SIZE = 4000
_RESOURCE_SUFFIX = 0  # ordinal of the RESOURCE suffix type
_LAST_OFFSET = PERIOD - 1

__all__ = [
    "MAX_ROW_KEY_SIZE",
    "PERIOD",
    "ColumnWindow",
    "SerialError",
    "base_of",
    "decode_double",
    "decode_offset",
    "decode_row_key",
    "encode_double",
    "encode_offset",
    "minimal_row_key",
    "offset_of",
    "prefix_end",
    "row_key",
    "windows",
]


def base_of(timestamp: int) -> int:
    """Start of the row period holding ``timestamp`` (timestamps are non-negative)."""
    return timestamp - timestamp % PERIOD


def offset_of(timestamp: int) -> int:
    return timestamp % PERIOD


def encode_offset(offset: int) -> bytes:
    """4-byte big-endian qualifier; byte order equals numeric order."""
    if not 0 <= offset < PERIOD:
        raise ValueError(f"offset {offset} does not fit in 32 bits")
    return offset.to_bytes(4, "big")


def decode_offset(qualifier: bytes) -> int:
    if len(qualifier) != 4:
        raise SerialError(f"a qualifier has 4 bytes, got {len(qualifier)}")
    return int.from_bytes(qualifier, "big")


def encode_double(value: float) -> bytes:
    return struct.pack(">d", value)


def decode_double(cell: bytes) -> float:
    if len(cell) != 8:
        raise SerialError(f"a points cell has 8 bytes, got {len(cell)}")
    return float(struct.unpack(">d", cell)[0])


def _tags(tags: Mapping[str, str]) -> bytes:
    return string_map(tags, bstr)


def minimal_row_key(series: Series, base: int) -> bytes:
    """Key and tags and base, without the resource suffix: the prefix of every variant."""
    return bstr(series.key) + _tags(series.tags) + struct.pack(">q", base)


def row_key(series: Series, base: int) -> bytes:
    """The full row key: the minimal key plus the resource suffix when resource is non-empty."""
    key = minimal_row_key(series, base)
    if not series.resource:
        return key
    payload = cvarint(len(series.resource)) + b"".join(
        sstr(k) + sstr(v) for k, v in java_sorted(series.resource)
    )
    return key + cvarint(1) + cvarint(_RESOURCE_SUFFIX) + cvarint(len(payload)) + payload


def decode_row_key(data: bytes) -> tuple[Series, int]:
    """Parse a full row key into the series (with resource) and the base."""
    reader = Reader(data)
    key = reader.bstr()
    tags = reader.string_map(reader.bstr)
    base = reader.int64_be()
    resource: dict[str, str] = {}
    if reader.remaining():
        for _ in range(reader.cvarint()):
            kind = reader.cvarint()
            payload = Reader(reader.take(reader.cvarint()))
            if kind == _RESOURCE_SUFFIX:
                resource = payload.string_map()
    if reader.remaining():
        raise SerialError(f"{reader.remaining()} unexpected trailing bytes in row key")
    return Series(key, tags, resource), base


def prefix_end(prefix: bytes) -> bytes:
    """The first key after every key starting with ``prefix`` (b"" = end of table)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return b""
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


@dataclass(frozen=True, slots=True)
class ColumnWindow:
    """Qualifiers to read in the row of ``base``: offsets ``first..last``, both inclusive."""

    base: int
    first: int
    last: int


def windows(range: DateRange) -> Iterator[ColumnWindow]:
    """Per row period, the offsets of ``(range.start, range.end]`` that fall in it.

    Upstream opens the qualifier range at ``offset(max(start, base))``, which loses a sample
    sitting exactly on a period boundary; this computes the exact window instead.
    """
    check_rows(range, PERIOD, "Bigtable")
    first_ts = max(range.start + 1, 0)
    last_ts = range.end
    if last_ts < first_ts:
        return
    for base in _bases(first_ts, last_ts):
        first = offset_of(first_ts) if first_ts >= base else 0
        last = offset_of(last_ts) if last_ts < base + PERIOD else _LAST_OFFSET
        yield ColumnWindow(base, first, last)


def _bases(first_ts: int, last_ts: int) -> Iterator[int]:
    base = base_of(first_ts)
    while base <= last_ts:
        yield base
        base += PERIOD
