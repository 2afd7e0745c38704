"""Edges where a decoder of its own could drift from the reference decoders of ``decode.py``:
number spellings, escapes and odd JSON layouts, protobuf wire-level oddities (merged and
repeated fields, unknown fields, wire types that do not match, corrupt bytes), points of one
series and time from both paths of one batch, and the series cache across batches. Each test
runs against the Python decoders and the compiled ones."""

from __future__ import annotations

import json
import random

import cramjam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroic_consumer import proto
from heroic_consumer.batch_decode import batch_decoder_for
from heroic_consumer.decode import decode_spotify100, decode_spotify100_proto
from heroic_consumer.series_cache import SeriesCache
from heroic_core.config.consumers import SPOTIFY100, SPOTIFY100_PROTO
from tests.unit.consumer.helpers import KINDS, agree

pytestmark = pytest.mark.parametrize("kind", KINDS)

# --- Spotify100 --------------------------------------------------------------------------------

_number = st.from_regex(r"\A-?(0|[1-9][0-9]{0,24})(\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?\Z")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_number, _number, st.sampled_from(["1.0.0", "2.0.0"])), max_size=8))
def test_number_spellings_mean_what_python_reads(
    kind: str, numbers: list[tuple[str, str, str]]
) -> None:
    payloads = []
    for time, number, version in numbers:
        value = number if version == "1.0.0" else '{"doubleValue": %s}' % number  # noqa: UP031
        payloads.append(
            b'{"version":"%s","key":"k","time":%s,"value":%s}'
            % (version.encode(), time.encode(), value.encode())
        )
    agree(SPOTIFY100, decode_spotify100, payloads, 4, kind)


# Characters that need escapes, lone surrogates, non-BMP ones and plain ones.
_char = st.sampled_from(["a", "\u00e9", "\u2603", "\U0001f600", "\ud800", "\udc00", '"', "\\",
                         "/", "\x00", "\x1f", "\t", "\u2028"])  # fmt: skip
_text = st.lists(_char, max_size=4).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            _text,
            st.one_of(st.none(), _text),
            st.dictionaries(_text, st.one_of(_text, st.none()), max_size=3),
            st.booleans(),
        ),
        max_size=8,
    )
)
def test_escapes_and_unicode_mean_what_python_reads(
    kind: str, messages: list[tuple[str, str | None, dict[str, str | None], bool]]
) -> None:
    payloads = []
    for key, host, attributes, ascii_only in messages:
        body = {"version": "1.0.0", "key": key, "host": host, "time": 7, "value": 1.5,
                "attributes": attributes}  # fmt: skip
        text = json.dumps(body, ensure_ascii=ascii_only)
        payloads.append(text.encode("utf-8", "surrogatepass"))  # lone ones: not UTF-8
    agree(SPOTIFY100, decode_spotify100, payloads, 4, kind)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"version":"1.0.0","key":"k","time":5,"value":1.0,"extra":{"a":[1,{"b":null}]}}',
        b'{"value":1.0,"time":5,"key":"k","version":"1.0.0"}',
        b'{"version":"1.0.0","key":"k","time":5,"time":6,"value":1.0}',
        b'{"version":"1.0.0","key":"k","key":"j","time":5,"value":1.0}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1.0,"host":"a","host":null}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1.0,"x":"\xff"}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1.0,"x":"\\ud800"}',
        b'{"version":"2.0.0","key":"k","time":5,"value":{"doubleValue":1,"doubleValue":2}}',
        b'{"version":"2.0.0","key":"k","time":5,"value":{"doubleValue":1,"other":[]}}',
        b'{"version":"2.0.0","key":"k","time":5,"value":{"doubleValue":1,"distributionValue":null}}',
        b'{"version":"2.0.0","key":"k","time":5,"value":[1]}',
        b'{"version":"1.0.0","key":"k","time":5,"value":[1]}',
        b'{"version":"1.0.0","key":"k","time":5,"value":true}',
        b'{"version":"1.0.0","key":"k","time":5,"value":"1"}',
        b'{"version":"1.0.0","key":"k","time":-0,"value":1}',
        b'{"version":"1.0.0","key":"k","time":5,"value":-0}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1,"attributes":[]}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1,"attributes":{"a":1}}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1,"attributes":{"a":null}}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1,"resource":"r"}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1,"attributes":{"host":"x"},"host":"y"}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1,"attributes":{"a":"1","a":"2"}}',
        b'\xef\xbb\xbf{"version":"1.0.0","key":"k","time":5,"value":1}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1}\n\t ',
        b'{"version":"1.0.0","key":"k","time":5,"value":1} x',
        b'{"version":"1.0\\u002e0","key":"k","time":5,"value":1}',
        b'{"version":"1.0.0","key":"k\\u00e9","time":5,"value":1}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1e-400}',
        b'{"version":"1.0.0","key":"k","time":5,"value":123456789012345678901234567890}',
        b'{"version":"1.0.0","key":"k","time":5,"value":-9223372036854775809}',
        b'{"version":"1.0.0","key":"k","time":9223372036854775807,"value":1}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1,"host":1}',
        b'{"version":"1.0.0","key":null,"time":5,"value":1}',
        b"[]",
        b"null",
        b"",
        b"{}",
    ],
)
def test_odd_json_layouts_mean_what_python_reads(kind: str, payload: bytes) -> None:
    agree(SPOTIFY100, decode_spotify100, [payload], 4, kind)


def test_one_series_and_time_from_both_paths_keeps_the_later_point(kind: str) -> None:
    # The float time takes the reference path; the later point wins however the two travel.
    fast = b'{"version":"1.0.0","key":"k","host":"h","time":5,"value":1.0}'
    slow = b'{"version":"1.0.0","key":"k","host":"h","time":5.0,"value":2.0}'
    for payloads, expected in (([fast, slow], 2.0), ([slow, fast], 1.0)):
        columns = batch_decoder_for(SPOTIFY100, kind=kind).decode(payloads).columns
        batch = columns.group().batch
        assert len(batch.series) == 1
        assert batch.points(0).values.tolist() == [expected]


def test_raw_forms_of_one_series_share_a_code_across_batches_and_evictions(kind: str) -> None:
    cache = SeriesCache(max_size=3)
    decoder = batch_decoder_for(SPOTIFY100, cache, kind=kind)
    forms = [b'{"a":"1","b":"2"}', b'{"b":"2","a":"1"}', b'{ "a" : "1", "b": "2" }']
    rng = random.Random(7)  # noqa: S311 - test data
    for batch in range(20):
        payloads = [
            b'{"version":"1.0.0","key":"k","time":%d,"value":%d,"attributes":%s}'
            % (batch * 100 + i + 1, i, rng.choice([*forms, b'{"a":"%d"}' % rng.randrange(9)]))
            for i in range(12)
        ]
        grouped = decoder.decode(payloads).columns.group()
        series = grouped.batch.series
        assert len(series) == len(set(series))  # one group per series, whatever its raw forms
        assert sum(len(grouped.batch.points(i)) for i in range(len(series))) == 12
        assert len(cache) <= 3 + 12  # trimmed before each batch, never within one


# --- Spotify100Proto ---------------------------------------------------------------------------


def _compress(raw: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(raw))


def _field(number: int, wire: int, body: bytes) -> bytes:
    key = bytes([number << 3 | wire])
    return key + (bytes([len(body)]) + body if wire == 2 else body)


def _metric(*fields: bytes) -> bytes:
    return _field(1, 2, b"".join(fields))


KEY, TIME, VALUE = _field(1, 2, b"k"), _field(2, 0, b"\x05"), _field(3, 1, b"\0" * 7 + b"\x3f")
TAG = _field(4, 2, _field(1, 2, b"a") + _field(2, 2, b"b"))


@pytest.mark.parametrize(
    "raw",
    [
        _metric(KEY, TIME, VALUE, TAG),
        _metric(KEY, TIME, VALUE, TAG, _field(1, 2, b"j")),  # a repeated key: the last wins
        _metric(KEY, TIME, _field(2, 0, b"\x07"), VALUE),  # a repeated time
        _metric(KEY, TIME, _field(4, 2, _field(1, 2, b"a") + _field(2, 2, b"c")), TAG),
        _metric(KEY, TIME, _field(4, 2, b"")),  # an empty map entry: "" -> ""
        _metric(KEY, TIME, _field(4, 2, _field(2, 2, b"v"))),  # no key in the entry
        _metric(KEY, TIME, _field(4, 2, _field(1, 2, b"a") + _field(3, 0, b"\x01"))),
        _metric(KEY, TIME, _field(9, 0, b"\x01"), _field(10, 2, b"zz")),  # unknown fields
        _metric(KEY, TIME, _field(6, 2, _field(1, 1, b"\0" * 8)), _field(6, 2, b"")),  # merged
        _metric(KEY, TIME, _field(6, 2, _field(1, 1, b"\0" * 8) + _field(2, 2, b"\x01"))),
        _metric(KEY, TIME, _field(6, 2, _field(2, 2, b"\x01") + _field(1, 1, b"\0" * 8))),
        _metric(KEY, _field(2, 2, b"\x05")),  # time with the wrong wire type
        _metric(KEY, TIME, _field(1, 0, b"\x01")),  # key with the wrong wire type
        _metric(KEY, TIME, _field(4, 0, b"\x01")),  # a map entry with the wrong wire type
        _metric(_field(1, 2, b"\xff"), TIME),  # a key that is not UTF-8
        _metric(KEY, _field(2, 0, b"\xff" * 9 + b"\x01")),  # time -1
        _metric(KEY, _field(2, 0, b"\x00")),  # time 0
        _metric(KEY, TIME) + _field(2, 0, b"\x01"),  # an unknown field of the batch
        _metric(KEY, TIME)[:-1],  # truncated
        _metric(KEY, TIME) + b"\x0c",  # an end-group tag out of place
        b"",  # an empty batch
    ],
)
def test_protobuf_wire_oddities_mean_what_upb_reads(kind: str, raw: bytes) -> None:
    agree(SPOTIFY100_PROTO, decode_spotify100_proto, [_compress(raw)], 4, kind)


def _valid_batch(rng: random.Random) -> bytes:
    batch = proto.Batch()
    for i in range(rng.randrange(1, 4)):
        m = batch.metric.add()
        m.key, m.time, m.value = f"k{i}", rng.randrange(1, 9), rng.random()
        m.tags.update({"host": f"h{rng.randrange(3)}", "é": "☃"})
        if rng.random() < 0.3:
            m.distribution_type_value.distribution_value = b"\x01\x02"
    return bytes(batch.SerializeToString())


@settings(max_examples=300, deadline=None)
@given(st.randoms(use_true_random=False), st.integers(1, 4))
def test_corrupted_protobuf_means_what_upb_reads(
    kind: str, rng: random.Random, mutations: int
) -> None:
    payloads = []
    for _ in range(4):
        raw = bytearray(_valid_batch(rng))
        for _ in range(mutations):
            at = rng.randrange(len(raw))
            action = rng.randrange(3)
            if action == 0:
                raw[at] = rng.randrange(256)
            elif action == 1:
                del raw[at]
            else:
                raw.insert(at, rng.randrange(256))
        payloads.append(_compress(bytes(raw)))
    payloads.append(b"\xff\xff\xff\xff\x0f")  # a corrupt Snappy block claiming 4 GiB
    agree(SPOTIFY100_PROTO, decode_spotify100_proto, payloads, 3, kind)
