"""Bigtable row keys and qualifier windows against the reference's byte examples (8.1)."""

from __future__ import annotations

import pytest

from heroic_core.backends.bigtable.rowkey import (
    PERIOD,
    ColumnWindow,
    decode_double,
    decode_offset,
    decode_row_key,
    encode_double,
    encode_offset,
    minimal_row_key,
    prefix_end,
    row_key,
    windows,
)
from heroic_core.backends.serial import Reader, SerialError, bstr, cvarint
from heroic_core.model import DateRange, Series

EXAMPLE = "03036b657902040466726f6d03033132330202746f0404343536370000000000000001"
RESOURCE_SUFFIX = "01000f01097265736f757263653103616263"


def test_row_key_matches_reference_example() -> None:
    series = Series("key", {"from": "123", "to": "4567"})
    assert row_key(series, 1).hex() == EXAMPLE


def test_row_key_with_resource_appends_reference_suffix() -> None:
    series = Series("key", {"from": "123", "to": "4567"}, {"resource1": "abc"})
    assert row_key(series, 1).hex() == EXAMPLE + RESOURCE_SUFFIX


def test_minimal_row_key_drops_the_resource_suffix() -> None:
    series = Series("key", {"from": "123", "to": "4567"}, {"resource1": "abc"})
    assert minimal_row_key(series, 1).hex() == EXAMPLE


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, "00"),
        (127, "7f"),
        (128, "8000"),
        (255, "ff00"),
        (16511, "ff7f"),
        (16512, "808000"),
    ],
)
def test_compact_varint_bytes(value: int, encoded: str) -> None:
    assert cvarint(value).hex() == encoded
    assert Reader(bytes.fromhex(encoded)).cvarint() == value


def test_bstr_counts_utf16_units_separately_from_utf8_bytes() -> None:
    # U+1F600 is 4 UTF-8 bytes and 2 UTF-16 code units
    assert bstr("\U0001f600").hex() == "0402f09f9880"


@pytest.mark.parametrize(
    "series",
    [
        Series("cpu", {}),
        Series("cpu", {"host": "a", "role": "db"}, {"pod": "p-1", "node": "n"}),
        Series("ünïcode", {"ключ": "значение"}),
        Series("k" * 300, {"t" * 200: "v" * 200}),
    ],
)
def test_row_key_round_trips(series: Series) -> None:
    assert decode_row_key(row_key(series, 7 * PERIOD)) == (series, 7 * PERIOD)


def test_decode_row_key_rejects_truncated_input() -> None:
    with pytest.raises(SerialError, match="truncated"):
        decode_row_key(bytes.fromhex(EXAMPLE)[:-3])


def test_tags_are_ordered_by_java_string_order() -> None:
    # by code point "\uff5e" < "\U0001f600"; by UTF-16 code unit (0xd83d < 0xff5e) the reverse
    series = Series("k", {"\uff5e": "a", "\U0001f600": "b"})
    encoded = row_key(series, 0)
    assert decode_row_key(encoded) == (series, 0)
    assert encoded.index("\U0001f600".encode()) < encoded.index("\uff5e".encode())


def test_offset_and_value_encoding() -> None:
    assert encode_offset(0x01020304) == b"\x01\x02\x03\x04"
    assert decode_offset(b"\xff\xff\xff\xff") == PERIOD - 1
    assert encode_double(1.5).hex() == "3ff8000000000000"
    assert decode_double(bytes.fromhex("3ff8000000000000")) == 1.5
    with pytest.raises(ValueError, match="32 bits"):
        encode_offset(PERIOD)


@pytest.mark.parametrize(
    ("prefix", "end"),
    [(b"ab", b"ac"), (b"a\xff", b"b"), (b"a\xfe\xff\xff", b"a\xff"), (b"\xff\xff", b"")],
)
def test_prefix_end(prefix: bytes, end: bytes) -> None:
    assert prefix_end(prefix) == end


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (10, 20, [ColumnWindow(0, 11, 20)]),
        (20, 20, []),
        (-5, 3, [ColumnWindow(0, 0, 3)]),
        (PERIOD - 2, PERIOD, [ColumnWindow(0, PERIOD - 1, PERIOD - 1), ColumnWindow(PERIOD, 0, 0)]),
        (PERIOD - 1, PERIOD + 5, [ColumnWindow(PERIOD, 0, 5)]),
        (
            5,
            2 * PERIOD + 1,
            [
                ColumnWindow(0, 6, PERIOD - 1),
                ColumnWindow(PERIOD, 0, PERIOD - 1),
                ColumnWindow(2 * PERIOD, 0, 1),
            ],
        ),
    ],
)
def test_windows_cover_exactly_start_exclusive_end_inclusive(
    start: int, end: int, expected: list[ColumnWindow]
) -> None:
    assert list(windows(DateRange(start, end))) == expected
