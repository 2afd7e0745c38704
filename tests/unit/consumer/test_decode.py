"""Both consumer schemas of reference 7.1: what good messages decode to, and the clear error
every malformed one gets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from heroic_consumer import proto
from heroic_consumer.decode import (
    DecodeError,
    DistributionSample,
    Sample,
    decode_spotify100,
    decode_spotify100_proto,
    decoder_for,
)
from heroic_core.model import Series


def _json(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


BASE: dict[str, Any] = {"version": "1.1.0", "key": "system", "time": 1542830480000, "value": 42.0}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, Sample(Series("system"), 1542830480000, 42.0), id="minimal-v1"),
        pytest.param(
            {
                "host": "db1.example.com",
                "attributes": {"what": "cpu-idle"},
                "resource": {"pod": "p-1"},
            },
            Sample(
                Series("system", {"host": "db1.example.com", "what": "cpu-idle"}, {"pod": "p-1"}),
                1542830480000,
                42.0,
            ),
            id="reference-example",
        ),
        pytest.param(
            {"host": "h", "attributes": {"host": "overridden"}},
            Sample(Series("system", {"host": "h"}), 1542830480000, 42.0),
            id="host-overrides-attribute",
        ),
        pytest.param(
            {"attributes": {"a": None, "b": "x"}, "resource": None},
            Sample(Series("system", {"b": "x"}), 1542830480000, 42.0),
            id="null-entries-dropped",
        ),
        pytest.param(
            {"attributes": {"n": 3, "f": True}},
            Sample(Series("system", {"n": "3", "f": "true"}), 1542830480000, 42.0),
            id="scalar-attributes-as-text",
        ),
        pytest.param(
            {"unknown": [1, 2], "value": 7},
            Sample(Series("system"), 1542830480000, 7.0),
            id="unknown-fields-ignored-int-value",
        ),
        pytest.param(
            {"version": "2.0.0", "value": {"doubleValue": 1.5}},
            Sample(Series("system"), 1542830480000, 1.5),
            id="v2-double",
        ),
        pytest.param(
            {"version": "2.1.3", "value": {"distributionValue": "AAEC"}},
            DistributionSample(Series("system"), 1542830480000, b"\x00\x01\x02"),
            id="v2-distribution",
        ),
        pytest.param({"time": 5.0}, Sample(Series("system"), 5, 42.0), id="integral-float-time"),
    ],
)
def test_spotify100_decodes(fields: dict[str, Any], expected: Sample | DistributionSample) -> None:
    assert decode_spotify100(_json(**(BASE | fields))) == [expected]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        pytest.param(b"not json", "invalid JSON", id="bad-json"),
        pytest.param(b"\xff\xfe", "invalid JSON", id="bad-utf8"),
        pytest.param(b"[1]", "expected an object, but got list", id="not-object"),
        pytest.param(b"", "invalid JSON", id="empty"),
        pytest.param(_json(key="k", time=1, value=1), "missing version", id="missing-version"),
        pytest.param(_json(**(BASE | {"version": "1.0"})), 'bad version: "1.0"', id="two-parts"),
        pytest.param(_json(**(BASE | {"version": 1})), "bad version: 1", id="numeric-version"),
        pytest.param(_json(**(BASE | {"version": "3.0.0"})), "unsupported version: 3.0.0",
                     id="unsupported-major"),
        pytest.param(_json(**(BASE | {"key": None})), "key: field must be defined", id="null-key"),
        pytest.param(_json(**(BASE | {"key": 5})), "key: expected a string", id="numeric-key"),
        pytest.param(_json(**(BASE | {"time": None})), "time: field must be defined",
                     id="null-time"),
        pytest.param(_json(**(BASE | {"time": 0})), "time: field must be a positive number",
                     id="zero-time"),
        pytest.param(_json(**(BASE | {"time": -5})), "time: field must be a positive number",
                     id="negative-time"),
        pytest.param(_json(**(BASE | {"time": 1.5})), "time: expected an integer", id="frac-time"),
        pytest.param(_json(**(BASE | {"time": "1"})), "time: expected a number", id="text-time"),
        pytest.param(_json(**(BASE | {"time": 2**64})), "does not fit in 64 bits", id="huge-time"),
        pytest.param(_json(**(BASE | {"value": None})), "metric must have a value",
                     id="null-value"),
        pytest.param(_json(**(BASE | {"value": "4"})), "value: expected a number",
                     id="text-value"),
        pytest.param(_json(**(BASE | {"value": True})), "value: expected a number",
                     id="bool-value"),
        pytest.param(b'{"version":"1.0.0","key":"k","time":1,"value":NaN}',
                     "non-numeric number NaN", id="nan-value"),
        pytest.param(_json(**(BASE | {"attributes": [1]})), "attributes: expected an object",
                     id="attributes-list"),
        pytest.param(_json(**(BASE | {"resource": {"a": {"b": 1}}})),
                     "resource.a: expected a string", id="nested-resource"),
        pytest.param(_json(**(BASE | {"host": 1})), "host: expected a string", id="numeric-host"),
        pytest.param(_json(**(BASE | {"version": "2.0.0", "value": 4})),
                     "version 2 expects", id="v2-plain-number"),
        pytest.param(_json(**(BASE | {"version": "2.0.0", "value": {"other": 1}})),
                     "unrecognized value type", id="v2-unknown-value"),
        pytest.param(_json(**(BASE | {"version": "2.0.0", "value": {"distributionValue": "*"}})),
                     "invalid base64", id="v2-bad-base64"),
    ],
)  # fmt: skip
def test_spotify100_rejects(payload: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message.replace("(", r"\(")):
        decode_spotify100(payload)


# --- Spotify100Proto ----------------------------------------------------------------------------


def _snappy_literal(data: bytes) -> bytes:
    """A valid Snappy block holding ``data`` as literals (what any compressor may emit)."""
    out = bytearray()
    n = len(data)
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            break
    for start in range(0, len(data), 60):
        chunk = data[start : start + 60]
        out.append((len(chunk) - 1) << 2)
        out += chunk
    return bytes(out)


def _batch(*metrics: dict[str, Any]) -> bytes:
    batch = proto.Batch()
    for fields in metrics:
        m = batch.metric.add()
        m.key = fields.get("key", "k")
        m.time = fields.get("time", 1000)
        m.value = fields.get("value", 0.0)
        m.tags.update(fields.get("tags", {}))
        m.resource.update(fields.get("resource", {}))
        if "double" in fields:
            m.distribution_type_value.double_value = fields["double"]
        if "distribution" in fields:
            m.distribution_type_value.distribution_value = fields["distribution"]
    return _snappy_literal(batch.SerializeToString())


def test_proto_batch_decodes_every_metric() -> None:
    payload = _batch(
        {"key": "a", "time": 10, "value": 1.5, "tags": {"x": "1"}, "resource": {"r": "2"}},
        {"key": "b", "time": 11, "value": 9.0, "double": 2.5},
        {"key": "c", "time": 12, "distribution": b"\x01\x02"},
    )
    assert decode_spotify100_proto(payload) == [
        Sample(Series("a", {"x": "1"}, {"r": "2"}), 10, 1.5),
        Sample(Series("b"), 11, 2.5),
        DistributionSample(Series("c"), 12, b"\x01\x02"),
    ]


def test_proto_empty_batch_has_no_samples() -> None:
    assert decode_spotify100_proto(_batch()) == []


def test_proto_non_positive_time_rejects_the_whole_batch() -> None:
    payload = _batch({"key": "a", "time": 10}, {"key": "b", "time": 0})
    with pytest.raises(DecodeError, match=r"metric\[1\].time: field must be a positive number"):
        decode_spotify100_proto(payload)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        pytest.param(b"", "corrupt input", id="empty"),
        pytest.param(b"\x05\x00a", "expected 5 decompressed bytes", id="short-snappy"),
        pytest.param(_snappy_literal(b"\xff\xff\xff"), "invalid protobuf batch", id="bad-proto"),
        pytest.param(b'{"version": "1.0.0"}', "invalid batch of metrics", id="json-in-proto"),
    ],
)
def test_proto_rejects(payload: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        decode_spotify100_proto(payload)


def test_decoder_for_selects_by_schema_class_name() -> None:
    assert decoder_for("com.spotify.heroic.consumer.schemas.Spotify100") is decode_spotify100
    assert (
        decoder_for("com.spotify.heroic.consumer.schemas.Spotify100Proto")
        is decode_spotify100_proto
    )
    with pytest.raises(ValueError, match="unknown consumer schema 'Spotify200'"):
        decoder_for("Spotify200")
