"""Message bodies to samples: the two upstream consumer schemas (reference 7.1).

``decoder_for(schema)`` returns a pure function ``bytes -> list[Sample | DistributionSample]``
for ``Spotify100`` (one ffwd JSON object, versions 1.x.x and 2.x.x) or ``Spotify100Proto``
(a Snappy-compressed protobuf ``Batch``). Anything malformed raises ``DecodeError`` with a
message naming the problem, for the whole message (upstream rejects a batch with one bad
metric). This module does no I/O, never writes and never logs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from heroic_consumer.proto import ProtoError, parse_batch
from heroic_consumer.snappy import SnappyError, decompress
from heroic_core.config.consumers import SPOTIFY100, SPOTIFY100_PROTO
from heroic_core.model import Series

HOST_TAG = "host"
SUPPORTED_MAJOR_VERSIONS = frozenset({1, 2})
_INT64_MAX = 2**63 - 1
_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)", re.ASCII)


class DecodeError(ValueError):
    """The message does not follow its schema; ``str()`` says why."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One point of one series."""

    series: Series
    timestamp: int
    value: float


@dataclass(frozen=True, slots=True)
class DistributionSample:
    """One distribution point (opaque serialized histogram) of one series."""

    series: Series
    timestamp: int
    value: bytes


Decoded = Sample | DistributionSample
Decoder = Callable[[bytes], list[Decoded]]


def _reject_constant(name: str) -> float:
    raise DecodeError(f"non-numeric number {name} is not allowed")


def _string_map(obj: Any, field: str) -> dict[str, str]:
    """A ``Map<String, String>`` as Jackson reads it: nulls dropped, scalars as text."""
    if obj is None:
        return {}
    if not isinstance(obj, Mapping):
        raise DecodeError(f"{field}: expected an object, got {type(obj).__name__}")
    out: dict[str, str] = {}
    for k, v in obj.items():
        if v is None:
            continue
        if isinstance(v, str):
            out[k] = v
        elif isinstance(v, bool):
            out[k] = "true" if v else "false"
        elif isinstance(v, int | float):
            out[k] = str(v)
        else:
            raise DecodeError(f"{field}.{k}: expected a string, got {type(v).__name__}")
    return out


def _major_version(obj: Mapping[str, Any]) -> int:
    if "version" not in obj or obj["version"] is None:
        raise DecodeError("missing version in received object")
    text = obj["version"]
    match = _VERSION.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise DecodeError(f"bad version: {json.dumps(text)}")
    major = int(match.group(1))
    if major not in SUPPORTED_MAJOR_VERSIONS:
        raise DecodeError(f"unsupported version: {text}")
    return major


def _time(obj: Mapping[str, Any]) -> int:
    value = obj.get("time")
    if value is None:
        raise DecodeError("time: field must be defined")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DecodeError(f"time: expected a number, got {json.dumps(value)}")
    if isinstance(value, float) and not value.is_integer():
        raise DecodeError(f"time: expected an integer, got {value}")
    time = int(value)
    if time <= 0:
        raise DecodeError(f"time: field must be a positive number, got {time}")
    if time > _INT64_MAX:
        raise DecodeError(f"time: {time} does not fit in 64 bits")
    return time


def _number(value: Any, field: str) -> float:
    if value is None:
        raise DecodeError(f"{field}: metric must have a value but it is null")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DecodeError(f"{field}: expected a number, got {json.dumps(value)}")
    return float(value)


def _series(obj: Mapping[str, Any]) -> Series:
    key = obj.get("key")
    if key is None:
        raise DecodeError("key: field must be defined")
    if not isinstance(key, str):
        raise DecodeError(f"key: expected a string, got {json.dumps(key)}")
    tags = _string_map(obj.get("attributes"), "attributes")
    host = obj.get("host")
    if host is not None:
        if not isinstance(host, str):
            raise DecodeError(f"host: expected a string, got {json.dumps(host)}")
        tags[HOST_TAG] = host
    try:
        return Series(key, tags, _string_map(obj.get("resource"), "resource"))
    except UnicodeEncodeError:  # a lone surrogate escape (\ud800) has no UTF-8 form to hash
        raise DecodeError("key, host, attributes or resource: not valid Unicode") from None


def _v2_value(series: Series, time: int, value: Any) -> Decoded:
    if value is None:
        raise DecodeError("value: metric must have a value but it is null")
    if not isinstance(value, Mapping):
        raise DecodeError("value: version 2 expects {doubleValue} or {distributionValue}")
    if value.get("distributionValue") is not None:
        encoded = value["distributionValue"]
        if not isinstance(encoded, str):
            raise DecodeError("value.distributionValue: expected a base64 string")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise DecodeError("value.distributionValue: invalid base64") from None
        return DistributionSample(series, time, raw)
    if value.get("doubleValue") is not None:
        return Sample(series, time, _number(value["doubleValue"], "value.doubleValue"))
    raise DecodeError("value: unrecognized value type (expected doubleValue or distributionValue)")


def decode_spotify100(payload: bytes) -> list[Decoded]:
    """One ffwd JSON metric (``Spotify100``)."""
    try:
        obj = json.loads(payload, parse_constant=_reject_constant)
    except DecodeError:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise DecodeError(f"invalid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise DecodeError(f"expected an object, but got {type(obj).__name__}")
    major = _major_version(obj)
    if major == 1:
        value = _number(obj.get("value"), "value")
        time = _time(obj)
        return [Sample(_series(obj), time, value)]
    time = _time(obj)
    return [_v2_value(_series(obj), time, obj.get("value"))]


def _proto_metric(metric: Any, index: int) -> Decoded:
    time = int(metric.time)
    if time <= 0:
        raise DecodeError(f"metric[{index}].time: field must be a positive number, got {time}")
    series = Series(metric.key, dict(metric.tags), dict(metric.resource))
    if metric.HasField("distribution_type_value"):
        value = metric.distribution_type_value
        which = value.WhichOneof("value")
        if which == "distribution_value":
            return DistributionSample(series, time, value.distribution_value)
        if which == "double_value":
            return Sample(series, time, value.double_value)
    return Sample(series, time, metric.value)


def decode_spotify100_proto(payload: bytes) -> list[Decoded]:
    """A Snappy-compressed ``spotify.metric.Batch`` (``Spotify100Proto``)."""
    try:
        metrics = parse_batch(decompress(payload))
    except (SnappyError, ProtoError) as exc:
        raise DecodeError(f"invalid batch of metrics: {exc}") from None
    return [_proto_metric(m, i) for i, m in enumerate(metrics)]


DECODERS: dict[str, Decoder] = {
    SPOTIFY100: decode_spotify100,
    SPOTIFY100_PROTO: decode_spotify100_proto,
}


def decoder_for(schema: str) -> Decoder:
    """The decoder of a ``schema:`` class name; ``ValueError`` names an unknown one."""
    try:
        return DECODERS[schema]
    except KeyError:
        known = ", ".join(sorted(DECODERS))
        raise ValueError(f"unknown consumer schema {schema!r}; known: {known}") from None
