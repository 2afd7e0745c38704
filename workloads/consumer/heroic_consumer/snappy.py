"""Snappy raw-block decompression, as ``org.xerial.snappy.Snappy.uncompress`` reads it.

``Spotify100Proto`` message bodies are Snappy blocks (no framing format), decompressed by
cramjam (Rust's ``snap``): about a hundred times faster than the pure-Python decoder this module
used to hold. The length a block declares is checked first, so a corrupt one cannot make it
allocate gigabytes.
"""

from __future__ import annotations

import cramjam


class SnappyError(ValueError):
    """The input is not a valid Snappy block."""


#: Refuse to allocate more than this for one message (a corrupt length must not exhaust memory).
MAX_UNCOMPRESSED = 256 * 1024 * 1024


def decompress(data: bytes) -> bytes:
    """The uncompressed bytes of one raw Snappy block."""
    try:
        length = cramjam.snappy.decompress_raw_len(data)
    except cramjam.DecompressionError as exc:
        raise SnappyError(str(exc)) from None
    if length > MAX_UNCOMPRESSED:
        raise SnappyError(f"uncompressed length {length} is too large")
    try:
        return bytes(cramjam.snappy.decompress_raw(data))
    except cramjam.DecompressionError as exc:
        raise SnappyError(str(exc)) from None
