"""Snappy raw-block decompression, as ``org.xerial.snappy.Snappy.uncompress`` reads it.

``Spotify100Proto`` message bodies are Snappy blocks (no framing format). The format is small
(a varint length, then literals and back-references), so it is decoded here in pure Python
instead of adding a native dependency. This module only decompresses; it never compresses and
never reads the framed ("stream") format.
"""

from __future__ import annotations


class SnappyError(ValueError):
    """The input is not a valid Snappy block."""


#: Refuse to allocate more than this for one message (a corrupt length must not exhaust memory).
MAX_UNCOMPRESSED = 256 * 1024 * 1024


def _varint(data: bytes) -> tuple[int, int]:
    """The uncompressed length and the position after it."""
    result = shift = 0
    for pos in range(min(len(data), 5)):
        byte = data[pos]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos + 1
        shift += 7
    raise SnappyError("bad length preamble")


def _literal(data: bytes, pos: int, tag: int) -> tuple[int, int]:
    """Length and start of a literal whose tag byte was at ``pos - 1``."""
    size = tag >> 2
    if size >= 60:
        extra = size - 59
        if pos + extra > len(data):
            raise SnappyError("truncated literal length")
        size = int.from_bytes(data[pos : pos + extra], "little")
        pos += extra
    return size + 1, pos


def _copy(data: bytes, pos: int, tag: int) -> tuple[int, int, int]:
    """(length, offset, next position) of a back-reference."""
    kind = tag & 3
    if kind == 1:
        if pos >= len(data):
            raise SnappyError("truncated copy")
        return 4 + ((tag >> 2) & 7), ((tag >> 5) << 8) | data[pos], pos + 1
    width = 2 if kind == 2 else 4
    if pos + width > len(data):
        raise SnappyError("truncated copy")
    return (tag >> 2) + 1, int.from_bytes(data[pos : pos + width], "little"), pos + width


def decompress(data: bytes) -> bytes:
    """The uncompressed bytes of one Snappy block; ``SnappyError`` when it is malformed."""
    expected, pos = _varint(data)
    if expected > MAX_UNCOMPRESSED:
        raise SnappyError(f"uncompressed length {expected} is too large")
    out = bytearray()
    while pos < len(data):
        tag = data[pos]
        pos += 1
        if tag & 3 == 0:
            size, pos = _literal(data, pos, tag)
            if pos + size > len(data):
                raise SnappyError("truncated literal")
            out += data[pos : pos + size]
            pos += size
        else:
            size, offset, pos = _copy(data, pos, tag)
            if offset == 0 or offset > len(out):
                raise SnappyError(f"copy offset {offset} outside the output")
            start = len(out) - offset
            if offset >= size:
                out += out[start : start + size]
            else:  # overlapping copy: the pattern repeats
                pattern = bytes(out[start:])
                out += (pattern * (size // offset + 1))[:size]
        if len(out) > expected:
            raise SnappyError("output longer than the declared length")
    if len(out) != expected:
        raise SnappyError(f"declared length {expected}, decoded {len(out)} bytes")
    return bytes(out)
