"""tiny-serializer 1.4.5 primitives that upstream row keys are built from (reference 8.1, 8.2).

Pure byte encoding and decoding: the "compact varint" used for every size, strings with one or
two length prefixes, and a reader over a byte string. Both the Bigtable and the Cassandra row
keys are made of these, and the Elasticsearch documents list tags in the same Java order; this
module knows nothing about any store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

_MASK64 = (1 << 64) - 1
_MAX_VARINT_BYTES = 10


class SerialError(ValueError):
    """Bytes that are not a valid encoding (truncated, overlong varint, bad UTF-8)."""


def cvarint(value: int) -> bytes:
    """Compact varint: 7 bits per byte, low first, each continuation subtracting one."""
    n = value & _MASK64  # a negative long is written as its unsigned 64-bit pattern
    out = bytearray()
    while n >> 7:
        out.append((n & 0x7F) | 0x80)
        n = (n >> 7) - 1
    out.append(n)
    return bytes(out)


def sstr(text: str) -> bytes:
    """A string as ``cvarint(len(utf8)) + utf8``."""
    data = text.encode("utf-8")
    return cvarint(len(data)) + data


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units (Java ``String.length()``)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def bstr(text: str) -> bytes:
    """A string as ``cvarint(len(utf8)) + cvarint(len(utf16)) + utf8`` (Bigtable's variant)."""
    data = text.encode("utf-8")
    return cvarint(len(data)) + cvarint(utf16_length(text)) + data


def java_sorted(entries: Mapping[str, str]) -> list[tuple[str, str]]:
    """Entries in Java ``TreeMap<String, _>`` order (UTF-16 code units)."""
    return sorted(entries.items(), key=lambda kv: kv[0].encode("utf-16-be", "surrogatepass"))


def string_map(entries: Mapping[str, str], encode: Callable[[str], bytes] = sstr) -> bytes:
    """``cvarint(size) + Σ sorted(encode(k) + encode(v))``."""
    body = b"".join(encode(k) + encode(v) for k, v in java_sorted(entries))
    return cvarint(len(entries)) + body


class Reader:
    """Sequential decoder over ``data``; every method raises ``SerialError`` on bad input."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise SerialError(f"truncated input: need {n} bytes at offset {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def cvarint(self) -> int:
        value, shift = 0, 1
        for _ in range(_MAX_VARINT_BYTES):
            byte = self.take(1)[0]
            value += (byte & 0x7F) * shift
            if not byte & 0x80:
                return value
            shift <<= 7
            value += shift
        raise SerialError("too many continuation bytes in varint")

    def utf8(self, n: int) -> str:
        raw = self.take(n)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SerialError(f"invalid UTF-8 at offset {self.pos - n}") from exc

    def sstr(self) -> str:
        return self.utf8(self.cvarint())

    def bstr(self) -> str:
        n = self.cvarint()
        self.cvarint()  # the UTF-16 length is redundant once decoded
        return self.utf8(n)

    def string_map(self, read: Callable[[], str] | None = None) -> dict[str, str]:
        """A map written by ``string_map``; ``read`` decodes one string (default ``sstr``)."""
        read_one = read or self.sstr
        out: dict[str, str] = {}
        for _ in range(self.cvarint()):
            key = read_one()
            out[key] = read_one()
        return out

    def int64_be(self) -> int:
        return int.from_bytes(self.take(8), "big", signed=True)
