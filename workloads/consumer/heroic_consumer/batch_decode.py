"""Batch decoders: a fetched batch of message bodies to ``Columns``, and the messages rejected.

``decode.py`` says what a message means (and every error's wording); this module makes that fast
for the usual message and falls back to it for anything else. Spotify100 JSON is read by msgspec
into a typed struct whose ``attributes``/``resource`` stay raw JSON, so the series is found in the
``SeriesCache`` by ``(key, host, raw attributes, raw resource)`` without building it. A message
the fast path does not take as it is (another version, a float time, a number in ``attributes``,
an error) goes through ``decode.decode_spotify100``, which accepts it or says what is wrong.
Spotify100Proto batches are decompressed by cramjam and read by protobuf (upb) through two
wire-compatible views of ``Metric`` (``proto.PointsBatch``, ``proto.IdentityBatch``): the series
is found by the serialized key and map entries, without building a map per metric.

When the compiled decoder is built (``native_decode``: Rust, the same meaning), it serves
instead; ``decoder_kind`` says which one a consumer uses (``$HEROIC_CONSUMER_DECODER`` can ask
for either). A rejected message leaves nothing in the columns. No I/O, no logging.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from heroic_consumer import native_decode
from heroic_consumer.columns import Columns
from heroic_consumer.decode import Decoder, decoder_for
from heroic_consumer.proto import (
    IdentityBatch,
    Metric,
    PointsBatch,
    ProtoDecodeError,
    Value,
)
from heroic_consumer.reference_path import (
    MALFORMED,
    UNSUPPORTED,
    UNSUPPORTED_DISTRIBUTION,
    BatchDecoder,
    DecodedBatch,
    ReferencePath,
)
from heroic_consumer.series_cache import SeriesCache
from heroic_consumer.snappy import SnappyError, decompress
from heroic_core.config.consumers import SPOTIFY100, SPOTIFY100_PROTO
from heroic_core.model import Series

__all__ = [
    "DECODER_ENV",
    "MALFORMED",
    "UNSUPPORTED",
    "UNSUPPORTED_DISTRIBUTION",
    "BatchDecoder",
    "DecodedBatch",
    "Spotify100Decoder",
    "Spotify100ProtoDecoder",
    "batch_decoder_for",
    "decoder_kind",
]

_INT64_MAX = 2**63 - 1
_VERSION = re.compile(r"([12])\.\d+\.\d+", re.ASCII)
_MAX_VERSIONS = 1024  # distinct accepted version strings remembered


class _V2Value(msgspec.Struct, gc=False):
    doubleValue: float | None = None  # noqa: N815 - the wire name
    distributionValue: str | None = None  # noqa: N815 - the wire name


class _Spotify100(msgspec.Struct, gc=False):
    version: str
    key: str
    time: int
    value: float | _V2Value | None = None
    host: str | None = None
    attributes: msgspec.Raw = msgspec.Raw(b"")
    resource: msgspec.Raw = msgspec.Raw(b"")


_STRINGS = msgspec.json.Decoder(dict[str, str] | None)


class Spotify100Decoder(ReferencePath):
    """``Spotify100`` (one ffwd JSON object per message)."""

    kind = "python"

    def __init__(self, cache: SeriesCache, reference: Decoder, distributions: bool) -> None:
        super().__init__(cache, reference, distributions)
        self._decoder = msgspec.json.Decoder(_Spotify100)
        self._majors: dict[str, int] = {}

    def decode(self, payloads: Sequence[bytes]) -> DecodedBatch:
        out = DecodedBatch()
        columns = out.columns
        add_entry, add_time, add_value = (
            columns.entries.append,
            columns.timestamps.append,
            columns.values.append,
        )
        self.cache.trim()
        decode, cached, majors = self._decoder.decode, self.cache.entries, self._majors
        for index, payload in enumerate(payloads):
            try:
                # msgspec skips unknown fields without checking their UTF-8; json does not
                if not payload.isascii():
                    payload.decode()
                m = decode(payload)
            except (msgspec.MsgspecError, UnicodeDecodeError):
                self.slow(index, payload, out)
                continue
            value = m.value
            time = m.time
            major = majors.get(m.version) or self._major(m.version)
            if major == 2 and type(value) is _V2Value and value.distributionValue is None:
                value = value.doubleValue
            elif major != 1:
                value = None
            if type(value) is not float or not 0 < time <= _INT64_MAX:
                self.slow(index, payload, out)
                continue
            identity = (m.key, m.host, bytes(m.attributes), bytes(m.resource))
            entry = cached.get(identity)
            if entry is None:
                series = _series(m)
                if series is None:
                    self.slow(index, payload, out)
                    continue
                entry = self.cache.add(identity, series)
            add_entry(entry)
            add_time(time)
            add_value(value)
        return out

    def _major(self, version: str) -> int:
        """1 or 2 for a version the fast path takes, else 0 (the slow path says why)."""
        match = _VERSION.fullmatch(version)
        major = int(match.group(1)) if match else 0
        if major and len(self._majors) < _MAX_VERSIONS:
            self._majors[version] = major
        return major


def _series(m: _Spotify100) -> Series | None:
    """The series of a message whose maps hold only strings (else None: the slow path)."""
    try:
        tags = _STRINGS.decode(m.attributes) if m.attributes else None
        resource = _STRINGS.decode(m.resource) if m.resource else None
    except msgspec.MsgspecError:
        return None
    if m.host is not None:
        tags = {**(tags or {}), "host": m.host}
    try:
        return Series.of_strings(m.key, tags, resource)  # msgspec typed them
    except UnicodeEncodeError:  # a lone surrogate: the slow path names it
        return None


class Spotify100ProtoDecoder(ReferencePath):
    """``Spotify100Proto`` (a Snappy-compressed ``Batch`` of metrics per message)."""

    kind = "python"

    def decode(self, payloads: Sequence[bytes]) -> DecodedBatch:
        out = DecodedBatch()
        self.cache.trim()
        for index, payload in enumerate(payloads):
            try:
                raw = decompress(payload)
                points = PointsBatch.FromString(raw)
                identities = IdentityBatch.FromString(raw)
            except (SnappyError, ProtoDecodeError):
                self.slow(index, payload, out)  # says what is wrong
                continue
            identities.DiscardUnknownFields()  # time and value must not be part of identities
            if not self._metrics(points.metric, identities.metric, out.columns):
                self.slow(index, payload, out)
        return out

    def _metrics(self, points: Any, identities: Any, columns: Columns) -> bool:
        """Appends every metric; False (and nothing appended) if one needs the slow path."""
        mark = columns.mark()
        cached = self.cache.entries
        add_entry, add_time, add_value = (
            columns.entries.append,
            columns.timestamps.append,
            columns.values.append,
        )
        for m, ident in zip(points, identities, strict=True):
            time = m.time
            if time <= 0:
                columns.rollback(mark)
                return False
            identity = ident.SerializeToString()
            entry = cached.get(identity)
            if entry is None:
                series = _proto_series(identity)
                if series is None:
                    columns.rollback(mark)
                    return False
                entry = self.cache.add(identity, series)
            raw = m.distribution_type_value
            if not raw:
                add_entry(entry)
                add_time(time)
                add_value(m.value)
                continue
            try:
                value = Value.FromString(raw)
            except ProtoDecodeError:
                columns.rollback(mark)
                return False
            which = value.WhichOneof("value")
            if which == "distribution_value":
                if not self.distributions:
                    columns.rollback(mark)
                    return False
                columns.distributions.append((entry, time, value.distribution_value))
            else:
                columns.append(
                    entry, time, value.double_value if which == "double_value" else m.value
                )
        return True


def _proto_series(identity: bytes) -> Series | None:
    """The series of an identity (key and map entries), read by the real ``Metric``, which
    also checks their UTF-8; None when they do not parse (the slow path says why)."""
    try:
        metric = Metric.FromString(identity)
    except ProtoDecodeError:
        return None
    return Series(metric.key, dict(metric.tags), dict(metric.resource))


#: Picks the batch decoder: "native", "python", or unset (native when it is built).
DECODER_ENV = "HEROIC_CONSUMER_DECODER"
DECODER_KINDS = ("native", "python")


def decoder_kind(requested: str | None = None) -> str:
    """``native`` or ``python``: ``requested``, else ``$HEROIC_CONSUMER_DECODER``, else native when
    the compiled decoder is built; ``ValueError`` for an unknown or unavailable one."""
    kind = requested if requested is not None else os.environ.get(DECODER_ENV, "")
    if not kind:
        return "native" if native_decode.AVAILABLE else "python"
    if kind not in DECODER_KINDS:
        raise ValueError(f"{DECODER_ENV} must be one of {', '.join(DECODER_KINDS)}, got {kind!r}")
    if kind == "native" and not native_decode.AVAILABLE:
        raise ValueError(
            "the native decoder was asked for, but heroic_consumer._native is not built "
            "(install the project with cargo on PATH)"
        )
    return kind


def batch_decoder_for(
    schema: str,
    cache: SeriesCache | None = None,
    *,
    distributions: bool = True,
    kind: str | None = None,
) -> BatchDecoder:
    """The batch decoder of a ``schema:`` class name; ``distributions=False`` rejects messages
    with distribution points (no metric backend of the consumer stores them); ``kind`` as in
    ``decoder_kind``."""
    reference = decoder_for(schema)  # names an unknown schema
    decoders = _NATIVE if decoder_kind(kind) == "native" else _PYTHON
    return decoders[schema](cache if cache is not None else SeriesCache(), reference, distributions)


_Make = Callable[[SeriesCache, Decoder, bool], BatchDecoder]
_PYTHON: dict[str, _Make] = {
    SPOTIFY100: Spotify100Decoder,
    SPOTIFY100_PROTO: Spotify100ProtoDecoder,
}
_NATIVE: dict[str, _Make] = {
    SPOTIFY100: native_decode.NativeSpotify100Decoder,
    SPOTIFY100_PROTO: native_decode.NativeSpotify100ProtoDecoder,
}
