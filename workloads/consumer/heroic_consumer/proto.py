"""The ``spotify.metric`` protobuf messages of ``Spotify100Proto`` (reference 7.1).

The descriptor is built in code (the same field numbers and types as upstream's
``spotify_100.proto``) so no generated module or ``protoc`` step is needed. ``Batch`` and
``Metric`` are the message classes; ``parse_batch`` reads a serialized batch. This module knows
nothing about Snappy, series or validation rules: ``decode`` applies those.

Two views read the same bytes for the batch decoder, each declaring only some of ``Metric``'s
fields (a message field and a ``bytes`` field share a wire format): ``PointsBatch`` has
``time``, ``value`` and the raw ``distribution_type_value``; ``IdentityBatch`` has ``key`` and
the map entries as raw bytes, so that one ``SerializeToString`` of its metric (unknown fields
discarded) is a hashable identity for the series cache. Building a Python map per metric costs
more than the rest of its decoding, and the entries are needed only to find a series seen before.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError

_F: Any = descriptor_pb2.FieldDescriptorProto
_PACKAGE = "spotify.metric"
_POINTS_PACKAGE = "heroic.points"
_IDENTITY_PACKAGE = "heroic.identity"


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


def _file() -> descriptor_pb2.FileDescriptorProto:
    proto = descriptor_pb2.FileDescriptorProto(
        name="heroic_consumer/spotify_100.proto", package=_PACKAGE, syntax="proto3"
    )
    metric_type = f".{_PACKAGE}.Metric"
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
    metric.nested_type.extend([_map_entry("TagsEntry"), _map_entry("ResourceEntry")])
    repeated = _F.LABEL_REPEATED
    message = _F.TYPE_MESSAGE
    metric.field.extend(
        [
            _field("key", 1, _F.TYPE_STRING),
            _field("time", 2, _F.TYPE_INT64),
            _field("value", 3, _F.TYPE_DOUBLE),
            _field("tags", 4, message, label=repeated, type_name=f"{metric_type}.TagsEntry"),
            _field(
                "resource", 5, message, label=repeated, type_name=f"{metric_type}.ResourceEntry"
            ),
            _field("distribution_type_value", 6, message, type_name=f".{_PACKAGE}.Value"),
        ]
    )
    _add_batch(proto, metric_type)
    return proto


def _add_batch(proto: descriptor_pb2.FileDescriptorProto, metric_type: str) -> None:
    batch = proto.message_type.add(name="Batch")
    batch.field.append(
        _field("metric", 1, _F.TYPE_MESSAGE, label=_F.LABEL_REPEATED, type_name=metric_type)
    )


def _view(package: str, fields: list[Any]) -> descriptor_pb2.FileDescriptorProto:
    """``Batch { repeated Metric metric = 1; }`` whose ``Metric`` declares only ``fields``."""
    proto = descriptor_pb2.FileDescriptorProto(
        name=f"heroic_consumer/{package}.proto", package=package, syntax="proto3"
    )
    proto.message_type.add(name="Metric").field.extend(fields)
    _add_batch(proto, f".{package}.Metric")
    return proto


_POOL = descriptor_pool.DescriptorPool()
_POOL.Add(_file())
_POOL.Add(
    _view(
        _POINTS_PACKAGE,
        [
            _field("time", 2, _F.TYPE_INT64),
            _field("value", 3, _F.TYPE_DOUBLE),
            _field("distribution_type_value", 6, _F.TYPE_BYTES),
        ],
    )
)
_POOL.Add(
    _view(
        _IDENTITY_PACKAGE,
        [
            # every occurrence (the last counts): each one is checked as UTF-8 when the real
            # Metric reads the identity, as upb checks each one while parsing
            _field("key", 1, _F.TYPE_BYTES, label=_F.LABEL_REPEATED),
            _field("tags", 4, _F.TYPE_BYTES, label=_F.LABEL_REPEATED),
            _field("resource", 5, _F.TYPE_BYTES, label=_F.LABEL_REPEATED),
        ],
    )
)


def _message(name: str) -> Any:
    return message_factory.GetMessageClass(_POOL.FindMessageTypeByName(name))


#: ``spotify.metric.Batch { repeated Metric metric = 1; }``
Batch: Any = _message(f"{_PACKAGE}.Batch")
#: ``spotify.metric.Metric``
Metric: Any = _message(f"{_PACKAGE}.Metric")
#: ``spotify.metric.Value`` (``oneof value { double double_value; bytes distribution_value; }``)
Value: Any = _message(f"{_PACKAGE}.Value")
#: ``Batch`` as time, value and raw ``distribution_type_value`` per metric.
PointsBatch: Any = _message(f"{_POINTS_PACKAGE}.Batch")
#: ``Batch`` as key and raw map entries per metric.
IdentityBatch: Any = _message(f"{_IDENTITY_PACKAGE}.Batch")
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
