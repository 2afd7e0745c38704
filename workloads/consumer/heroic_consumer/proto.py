"""The ``spotify.metric`` protobuf messages of ``Spotify100Proto`` (reference 7.1).

The descriptor is built in code (the same field numbers and types as upstream's
``spotify_100.proto``) so no generated module or ``protoc`` step is needed. ``Batch`` and
``Metric`` are the message classes; ``parse_batch`` reads a serialized batch. This module knows
nothing about Snappy, series or validation rules: ``decode`` applies those.

``LiteBatch`` reads the same bytes through a view of ``Metric`` that keeps each map entry and
the ``distribution_type_value`` message as raw bytes (the wire format of a message field and a
``bytes`` field is the same): building a Python map per metric costs more than the rest of its
decoding, and the batch decoder needs the entries only to find a series it has seen before.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

_F: Any = descriptor_pb2.FieldDescriptorProto
_PACKAGE = "spotify.metric"
_LITE_PACKAGE = "heroic.lite"


def _field(
    name: str, number: int, kind: int, *, label: int = _F.LABEL_OPTIONAL, type_name: str = ""
) -> Any:
    field = _F(name=name, number=number, type=kind, label=label)
    if type_name:
        field.type_name = type_name
    return field


def _map_entry(name: str) -> descriptor_pb2.DescriptorProto:
    entry = descriptor_pb2.DescriptorProto(name=name)
    entry.field.extend([_field("key", 1, _F.TYPE_STRING), _field("value", 2, _F.TYPE_STRING)])
    entry.options.map_entry = True
    return entry


def _file(*, lite: bool = False) -> descriptor_pb2.FileDescriptorProto:
    package = _LITE_PACKAGE if lite else _PACKAGE
    proto = descriptor_pb2.FileDescriptorProto(
        name=f"heroic_consumer/{package}.proto", package=package, syntax="proto3"
    )
    metric_type = f".{package}.Metric"
    value = proto.message_type.add(name="Value")
    value.oneof_decl.add(name="value")
    for name, number, kind in (
        ("double_value", 1, _F.TYPE_DOUBLE),
        ("distribution_value", 2, _F.TYPE_BYTES),
    ):
        field = _field(name, number, kind)
        field.oneof_index = 0
        value.field.append(field)
    metric = proto.message_type.add(name="Metric")
    repeated = _F.LABEL_REPEATED
    message = _F.TYPE_MESSAGE
    fields = [
        _field("key", 1, _F.TYPE_STRING),
        _field("time", 2, _F.TYPE_INT64),
        _field("value", 3, _F.TYPE_DOUBLE),
    ]
    if lite:
        fields += [
            _field("tags", 4, _F.TYPE_BYTES, label=repeated),
            _field("resource", 5, _F.TYPE_BYTES, label=repeated),
            _field("distribution_type_value", 6, _F.TYPE_BYTES),
        ]
    else:
        metric.nested_type.extend([_map_entry("TagsEntry"), _map_entry("ResourceEntry")])
        fields += [
            _field("tags", 4, message, label=repeated, type_name=f"{metric_type}.TagsEntry"),
            _field(
                "resource", 5, message, label=repeated, type_name=f"{metric_type}.ResourceEntry"
            ),
            _field("distribution_type_value", 6, message, type_name=f".{package}.Value"),
        ]
    metric.field.extend(fields)
    batch = proto.message_type.add(name="Batch")
    batch.field.append(_field("metric", 1, message, label=repeated, type_name=metric_type))
    return proto


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file())
_POOL.Add(_file(lite=True))


def _message(name: str) -> Any:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(name))


#: ``spotify.metric.Batch { repeated Metric metric = 1; }``
Batch: Any = _message(f"{_PACKAGE}.Batch")
#: ``spotify.metric.Metric``
Metric: Any = _message(f"{_PACKAGE}.Metric")
#: ``spotify.metric.Value`` (``oneof value { double double_value; bytes distribution_value; }``)
Value: Any = _message(f"{_PACKAGE}.Value")
#: ``Batch`` read with raw map entries and a raw ``distribution_type_value``.
LiteBatch: Any = _message(f"{_LITE_PACKAGE}.Batch")
ProtoDecodeError = DecodeError


class ProtoError(ValueError):
    """The bytes are not a serialized ``Batch``."""


def parse_batch(data: bytes) -> list[Any]:
    """The ``Metric`` messages of a serialized ``Batch``."""
    batch = Batch()
    try:
        batch.ParseFromString(data)
    except DecodeError as exc:
        raise ProtoError(f"invalid protobuf batch: {exc}") from None
    return list(batch.metric)
