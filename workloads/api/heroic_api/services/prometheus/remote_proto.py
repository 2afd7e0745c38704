"""Prometheus' remote-write 1.0 messages (``prometheus.WriteRequest``), built in code.

The descriptor has the field numbers and types of Prometheus' ``prompb/remote.proto`` and
``prompb/types.proto``, so no generated module or ``protoc`` step is needed (as
``heroic_consumer.proto`` does for Spotify100). ``TimeSeries.histograms`` (native histograms) is
declared as raw bytes: a message and a ``bytes`` field share a wire format, and remote write only
counts histograms, so their many fields are never decoded. A second view, ``LenientWriteRequest``,
reads label names and values as bytes, so that a body the strict message refuses can be told
apart as "not UTF-8" (with its series) from "not protobuf". This module knows nothing about
Snappy, HTTP or validation rules.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

#: The media type of a remote-write body (before Snappy).
PROTOBUF_MEDIA_TYPE = "application/x-protobuf"
_F: Any = descriptor_pb2.FieldDescriptorProto
_PACKAGE = "prometheus"
_LENIENT_PACKAGE = "heroic.lenient_remote_write"
_REPEATED = _F.LABEL_REPEATED


def _field(
    name: str, number: int, kind: int, *, repeated: bool = False, type_name: str = ""
) -> Any:
    label = _REPEATED if repeated else _F.LABEL_OPTIONAL
    field = _F(name=name, number=number, type=kind, label=label)
    if type_name:
        field.type_name = type_name
    return field


def _file(package: str, text: int) -> descriptor_pb2.FileDescriptorProto:
    """``prometheus.WriteRequest`` and its parts in ``package``; label names and values of
    type ``text`` (string, or bytes for the lenient view)."""
    proto = descriptor_pb2.FileDescriptorProto(
        name=f"heroic_api/{package}.proto", package=package, syntax="proto3"
    )

    def message(name: str, *fields: Any) -> descriptor_pb2.DescriptorProto:
        msg = proto.message_type.add(name=name)
        msg.field.extend(fields)
        return msg

    def ref(name: str) -> str:
        return f".{package}.{name}"

    message("Label", _field("name", 1, text), _field("value", 2, text))
    message("Sample", _field("value", 1, _F.TYPE_DOUBLE), _field("timestamp", 2, _F.TYPE_INT64))
    message(
        "Exemplar",
        _field("labels", 1, _F.TYPE_MESSAGE, repeated=True, type_name=ref("Label")),
        _field("value", 2, _F.TYPE_DOUBLE),
        _field("timestamp", 3, _F.TYPE_INT64),
    )
    message(
        "TimeSeries",
        _field("labels", 1, _F.TYPE_MESSAGE, repeated=True, type_name=ref("Label")),
        _field("samples", 2, _F.TYPE_MESSAGE, repeated=True, type_name=ref("Sample")),
        _field("exemplars", 3, _F.TYPE_MESSAGE, repeated=True, type_name=ref("Exemplar")),
        _field("histograms", 4, _F.TYPE_BYTES, repeated=True),
    )
    metadata = message(
        "MetricMetadata",
        _field("type", 1, _F.TYPE_ENUM, type_name=ref("MetricMetadata.MetricType")),
        _field("metric_family_name", 2, text),
        _field("help", 4, text),
        _field("unit", 5, text),
    )
    kinds = metadata.enum_type.add(name="MetricType")
    for number, name in enumerate(METRIC_TYPES):
        kinds.value.add(name=name, number=number)
    request = message(
        "WriteRequest",
        _field("timeseries", 1, _F.TYPE_MESSAGE, repeated=True, type_name=ref("TimeSeries")),
        _field("metadata", 3, _F.TYPE_MESSAGE, repeated=True, type_name=ref("MetricMetadata")),
    )
    request.reserved_range.add(start=2, end=3)  # Cortex's source field, reserved upstream
    return proto


#: ``MetricMetadata.MetricType`` by number.
METRIC_TYPES = (
    "UNKNOWN",
    "COUNTER",
    "GAUGE",
    "HISTOGRAM",
    "GAUGEHISTOGRAM",
    "SUMMARY",
    "INFO",
    "STATESET",
)

_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file(_PACKAGE, _F.TYPE_STRING))
_POOL.Add(_file(_LENIENT_PACKAGE, _F.TYPE_BYTES))


def _message(name: str) -> Any:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(name))


#: ``prometheus.WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata
#: metadata = 3; }``
WriteRequest: Any = _message(f"{_PACKAGE}.WriteRequest")
#: ``prometheus.TimeSeries`` (labels, samples, exemplars; histograms as raw bytes)
TimeSeries: Any = _message(f"{_PACKAGE}.TimeSeries")
#: ``prometheus.MetricMetadata``
MetricMetadata: Any = _message(f"{_PACKAGE}.MetricMetadata")
#: ``WriteRequest`` with label names and values (and metadata texts) as bytes.
LenientWriteRequest: Any = _message(f"{_LENIENT_PACKAGE}.WriteRequest")


class WriteRequestError(ValueError):
    """The bytes are not a serialized ``WriteRequest``."""


def parse_write_request(data: bytes) -> Any:
    """The ``WriteRequest`` serialized in ``data``; ``WriteRequestError`` says why not, naming the
    first series (by index) whose labels are not UTF-8 when that is the reason."""
    request = WriteRequest()
    try:
        request.ParseFromString(data)
    except DecodeError:
        raise WriteRequestError(_why_not(data)) from None
    return request


def _why_not(data: bytes) -> str:
    lenient = LenientWriteRequest()
    try:
        lenient.ParseFromString(data)
    except DecodeError:
        return "the body is not a protobuf prometheus.WriteRequest (corrupt or truncated)"
    for index, series in enumerate(lenient.timeseries):
        for label in series.labels:
            for what, raw in (("name", label.name), ("value", label.value)):
                try:
                    raw.decode("utf-8")
                except UnicodeDecodeError:
                    return f"series {index}: a label {what} is not UTF-8: {raw!r}"
    return "the body is not a valid prometheus.WriteRequest: a text field is not UTF-8"
