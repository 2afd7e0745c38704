"""Snappy raw-block decompression (cramjam): each element kind of the format, and corrupt input
rejected with a ``SnappyError`` that says what is wrong."""

from __future__ import annotations

import pytest

from heroic_consumer.snappy import SnappyError, decompress


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        pytest.param(b"\x00", b"", id="empty"),
        pytest.param(b"\x03\x08abc", b"abc", id="short-literal"),
        # 12 bytes: literal "abcd", then copy-1 (length 8, offset 4) repeating it.
        pytest.param(b"\x0c\x0cabcd\x11\x04", b"abcdabcdabcd", id="copy-1-byte-offset"),
        # literal "ab", then copy-2 (length 6, offset 2): overlapping copy.
        pytest.param(b"\x08\x04ab\x16\x02\x00", b"abababab", id="copy-2-overlapping"),
        # literal "xyz", then copy-4 (length 3, offset 3).
        pytest.param(b"\x06\x08xyz\x0b\x03\x00\x00\x00", b"xyzxyz", id="copy-4-byte-offset"),
        # literal of 70 bytes: tag 60<<2 then one length byte (69).
        pytest.param(b"\x46\xf0\x45" + b"q" * 70, b"q" * 70, id="long-literal"),
    ],
)
def test_decompress(block: bytes, expected: bytes) -> None:
    assert decompress(block) == expected


@pytest.mark.parametrize(
    ("block", "message"),
    [
        pytest.param(b"", "empty", id="no-preamble"),
        pytest.param(b"\xff\xff\xff\xff\xff\xff", "invalid header", id="endless-varint"),
        pytest.param(b"\x05\x08ab", "expected literal read of length 3", id="truncated-literal"),
        pytest.param(b"\x04\x05\x01", "expected valid offset", id="copy-before-data"),
        pytest.param(b"\x02\x00a", "expected 2 decompressed bytes", id="too-short"),
        pytest.param(b"\x01\x04ab", "remaining dst: 1", id="too-long"),
        pytest.param(b"\x06\x04ab\x11", "corrupt input", id="truncated-copy"),
        pytest.param(b"\x80\x80\x80\x80\x08", "2147483648 is too large", id="huge-length"),
    ],
)
def test_decompress_rejects(block: bytes, message: str) -> None:
    with pytest.raises(SnappyError, match=message):
        decompress(block)
