"""Remote write's wire format and decoding rules: the ``WriteRequest`` descriptor against bytes
encoded by hand from the field numbers of Prometheus' ``remote.proto``/``types.proto``, and the
validation of every series before anything is written."""

from __future__ import annotations

import math
import struct

import pytest

from heroic_api.services.prometheus.remote_decode import (
    InvalidSeriesError,
    decode_write,
)
from heroic_api.services.prometheus.remote_proto import (
    METRIC_TYPES,
    WriteRequest,
    WriteRequestError,
    parse_write_request,
)
from heroic_core.model import Series
from heroic_core.promql.names import NameEscaping

from .remote_write_helpers import STALE_NAN, request

# {__name__="up"} 1.0 @ 1000, encoded by hand: WriteRequest.timeseries (1) > TimeSeries.labels
# (1) {name (1), value (2)} and TimeSeries.samples (2) {value (1, fixed64), timestamp (2)}.
TINY = bytes.fromhex(
    "0a1e"  # WriteRequest field 1, length-delimited, 30 bytes
    "0a0e"  # TimeSeries field 1 (labels), 14 bytes
    "0a085f5f6e616d655f5f"  # Label.name = "__name__"
    "12027570"  # Label.value = "up"
    "120c"  # TimeSeries field 2 (samples), 12 bytes
    "09000000000000f03f"  # Sample.value = 1.0 (fixed64, little endian)
    "10e807"  # Sample.timestamp = 1000 (varint)
)


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _len(number: int, payload: bytes) -> bytes:
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _double(number: int, value: float) -> bytes:
    return _varint(number << 3 | 1) + struct.pack("<d", value)


def _int(number: int, value: int) -> bytes:
    return _varint(number << 3) + _varint(value)


def test_tiny_request_is_the_hand_encoded_bytes() -> None:
    assert request(([("__name__", "up")], [(1000, 1.0)])).SerializeToString() == TINY


def test_every_field_number_matches_a_hand_encoded_request() -> None:
    label = _len(1, b"trace_id") + _len(2, b"abc")
    exemplar = _len(1, label) + _double(2, 0.5) + _int(3, 7)
    series = (
        _len(1, _len(1, b"__name__") + _len(2, b"rpc"))
        + _len(2, _double(1, 2.5) + _int(2, 1234))
        + _len(3, exemplar)
        + _len(4, _int(1, 5))  # a native histogram: count_int = 5
    )
    metadata = _int(1, 1) + _len(2, b"rpc") + _len(4, b"help text") + _len(5, b"seconds")
    wire = _len(1, series) + _len(3, metadata)

    parsed = parse_write_request(wire)
    (one,) = parsed.timeseries
    assert [(lb.name, lb.value) for lb in one.labels] == [("__name__", "rpc")]
    assert [(s.timestamp, s.value) for s in one.samples] == [(1234, 2.5)]
    assert [(e.value, e.timestamp, e.labels[0].value) for e in one.exemplars] == [(0.5, 7, "abc")]
    assert list(one.histograms) == [_int(1, 5)]
    (meta,) = parsed.metadata
    assert (METRIC_TYPES[meta.type], meta.metric_family_name) == ("COUNTER", "rpc")
    assert (meta.help, meta.unit) == ("help text", "seconds")
    assert parsed.SerializeToString() == wire


def test_stale_marker_bits_survive_encoding() -> None:
    wire = request(([("__name__", "up")], [(1, STALE_NAN)])).SerializeToString()
    assert wire.endswith(_varint(1 << 3 | 1) + struct.pack("<Q", 0x7FF0000000000002) + _int(2, 1))


def test_reserved_field_two_is_skipped_as_an_unknown_field() -> None:
    cortex_source = _int(2, 1)
    assert len(parse_write_request(cortex_source + TINY).timeseries) == 1


@pytest.mark.parametrize(
    ("wire", "fragment"),
    [
        (b"\x0a\x05ab", "not a protobuf prometheus.WriteRequest"),
        (TINY[:-1], "not a protobuf prometheus.WriteRequest"),
        (
            _len(1, _len(1, _len(1, b"__name__") + _len(2, b"\xff\xfe"))),
            "series 0: a label value is not UTF-8",
        ),
    ],
)
def test_undecodable_bodies_say_why(wire: bytes, fragment: str) -> None:
    with pytest.raises(WriteRequestError, match=fragment):
        parse_write_request(wire)


def test_series_become_heroic_series_with_sorted_last_wins_points() -> None:
    decoded = decode_write(
        request(
            ([("host", "a"), ("__name__", "cpu"), ("zone", "")], [(3000, 3.0), (1000, 1.0)]),
            ([("__name__", "cpu"), ("host", "a")], [(1000, 10.0), (2000, 2.0)]),
            ([("__name__", "mem")], [(5, STALE_NAN), (6, math.nan), (7, math.inf)]),
            exemplars=2,
            histograms=1,
        )
    )
    cpu, mem = decoded.items
    assert cpu[0] == Series("cpu", {"host": "a"})  # empty label dropped, labels unsorted
    assert [(p.timestamp, p.value) for p in cpu[1]] == [(1000, 10.0), (2000, 2.0), (3000, 3.0)]
    assert mem[0] == Series("mem")
    assert mem[1].timestamps.tolist() == [6, 7]
    assert math.isnan(mem[1].values[0])
    assert mem[1].values[1] == math.inf
    counts = (decoded.series, decoded.samples, decoded.stale_markers)
    assert counts == (3, 6, 1)
    assert (decoded.exemplars, decoded.histograms, decoded.metadata) == (2, 1, 0)


def test_series_with_only_stale_markers_writes_nothing() -> None:
    decoded = decode_write(request(([("__name__", "up")], [(1, STALE_NAN)])))
    assert (decoded.items, decoded.stale_markers, decoded.samples) == ([], 1, 0)


@pytest.mark.parametrize(
    ("labels", "samples", "fragment"),
    [
        ([("host", "a")], [(1, 1.0)], 'series 1 {host="a"}: no metric name'),
        ([("__name__", ""), ("host", "a")], [(1, 1.0)], "no metric name"),
        ([("__name__", "x"), ("", "v")], [(1, 1.0)], "a label has an empty name"),
        ([("__name__", "x"), ("a", "1"), ("a", "2")], [(1, 1.0)], "'a' appears more than once"),
        ([("__name__", "x")], [(5, 1.0), (-1, 1.0)], "timestamp -1 is negative"),
    ],
)
def test_a_bad_series_names_itself_and_fails_the_request(
    labels: list[tuple[str, str]], samples: list[tuple[int, float]], fragment: str
) -> None:
    good = ([("__name__", "ok")], [(1, 1.0)])
    with pytest.raises(InvalidSeriesError, match=r"^series 1 ") as caught:
        decode_write(request(good, (labels, samples)))
    assert fragment in str(caught.value)


def test_values_escaping_unescapes_metric_and_label_names() -> None:
    labels = [("__name__", "U__cpu_2e_usage"), ("U__host_2e_name", "U__a_2e_b")]
    decoded = decode_write(request((labels, [(1, 1.0)])), NameEscaping.VALUES)
    # label values are never escaped: only names are
    assert decoded.items[0][0] == Series("cpu.usage", {"host.name": "U__a_2e_b"})
    as_sent = decode_write(request((labels, [(1, 1.0)])))
    assert as_sent.items[0][0] == Series("U__cpu_2e_usage", {"U__host_2e_name": "U__a_2e_b"})


def test_escaped_and_plain_spellings_of_one_label_are_duplicates() -> None:
    labels = [("__name__", "x"), ("a.b", "1"), ("U__a_2e_b", "2")]
    with pytest.raises(InvalidSeriesError, match=r"'a\.b' appears more than once"):
        decode_write(request((labels, [(1, 1.0)])), NameEscaping.VALUES)


def test_a_broken_escape_is_a_bad_series() -> None:
    with pytest.raises(InvalidSeriesError, match="invalid escaped name"):
        decode_write(request(([("__name__", "U__a_b")], [(1, 1.0)])), NameEscaping.VALUES)


def test_empty_request_is_valid() -> None:
    decoded = decode_write(WriteRequest())
    assert (decoded.items, decoded.series, decoded.samples) == ([], 0, 0)
