"""The batch decoders mean exactly what the reference decoders of ``decode.py`` mean: the same
points for every message they accept, the same error for every one they reject, whatever path
(fast or slow) a message takes and whatever the series cache holds. Each test runs against the
Python decoders and the compiled ones (``native``), so the two agree with each other too."""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import cramjam
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroic_consumer import native_decode, proto
from heroic_consumer.batch_decode import (
    DECODER_ENV,
    UNSUPPORTED_DISTRIBUTION,
    batch_decoder_for,
    decoder_kind,
)
from heroic_consumer.decode import (
    DecodeError,
    decode_spotify100,
    decode_spotify100_proto,
)
from heroic_consumer.series_cache import SeriesCache
from heroic_core.config.consumers import SPOTIFY100, SPOTIFY100_PROTO
from heroic_core.model import Series
from tests.unit.consumer.helpers import KINDS, agree

# --- Spotify100 --------------------------------------------------------------------------------

_text = st.text(alphabet=st.sampled_from('ab-é\u2603 "\\'), max_size=4)
_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2**64), _text,
    st.floats(allow_nan=False, allow_infinity=False), st.just([1]), st.just({}),
)  # fmt: skip
_map = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(["host", "a", "b", "é"]), st.one_of(_text, _scalar), max_size=3
    ),
)
_message = st.fixed_dictionaries(
    {},
    optional={
        "version": st.sampled_from(["1.0.0", "1.1.0", "2.0.0", "2.1.7", "3.0.0", "1.0", None, 1]),
        "key": st.one_of(_text, st.none(), st.integers(0, 3)),
        "host": st.one_of(_text, st.none(), st.integers(0, 3)),
        "time": st.one_of(
            st.integers(-2, 3),
            st.integers(1, 2**64),
            st.just(1.0e12),
            st.just(1.5),
            st.none(),
            st.just(True),
            st.just("1"),
        ),
        "value": st.one_of(
            _scalar,
            st.fixed_dictionaries(
                {},
                optional={
                    "doubleValue": _scalar,
                    "distributionValue": st.sampled_from(
                        [base64.b64encode(b"\x01\x02").decode(), "%%", None, 3]
                    ),
                },
            ),
        ),
        "attributes": _map,
        "resource": _map,
    },
)


def _encode(obj: dict[str, Any], spacing: bool) -> bytes:
    return json.dumps(obj, separators=(", ", ": ") if spacing else (",", ":")).encode()


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_message, st.booleans()), max_size=12),
    st.lists(st.binary(max_size=12), max_size=2),
    st.integers(1, 4),
)
def test_spotify100_agrees_with_the_reference(
    kind: str,
    messages: list[tuple[dict[str, Any], bool]],
    garbage: list[bytes],
    cache_size: int,
) -> None:
    payloads = [_encode(m, spacing) for m, spacing in messages] + garbage
    agree(SPOTIFY100, decode_spotify100, payloads, cache_size, kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "payload",
    [
        b'{"version":"1.0.0","key":"k","time":5,"value":1.0,"attributes":{"a":"\\ud800"}}',
        b'{"version":"1.0.0","key":"k\xff","time":5,"value":1.0}',
        b'{"version":"1.0.0","key":"k","time":5,"value":NaN}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1e400}',
        b'{"version":"1.0.0","key":"k","time":5,"value":1.0,"attributes":{"a":"x","a":"y"}}',
        b'{"version":"1.0.0","key":"k","time":9223372036854775808,"value":1.0}',
        b'{"version":"\xd9\xa1.0.0","key":"k","time":5,"value":1.0}',
        b'[{"version":"1.0.0","key":"k","time":5,"value":1.0}]',
        b' {"version":"1.0.0","key":"k","time":5,"value":1.0} ',
    ],
    ids=[
        "lone-surrogate", "invalid-utf8", "nan", "overflow", "duplicate-attribute",
        "time-beyond-int64", "non-ascii-digit-version", "array", "whitespace",
    ],
)  # fmt: skip
def test_spotify100_edge_cases_agree_with_the_reference(payload: bytes, kind: str) -> None:
    agree(SPOTIFY100, decode_spotify100, [payload], 8, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_a_bad_message_between_good_ones_loses_nothing(kind: str) -> None:
    good = b'{"version":"1.0.0","key":"k","host":"h","time":5,"value":1.0}'
    got = batch_decoder_for(SPOTIFY100, kind=kind).decode([good, b"{", good])
    assert [(i, kind) for i, _, kind in got.rejected] == [(1, "malformed")]
    assert [t for _, t, _ in got.columns.points()] == [5, 5]


@pytest.mark.parametrize("kind", KINDS)
def test_distributions_are_rejected_whole_when_nothing_stores_them(kind: str) -> None:
    dist = {"version": "2.0.0", "key": "k", "time": 5,
            "value": {"distributionValue": base64.b64encode(b"\x01").decode()}}  # fmt: skip
    double = dist | {"value": {"doubleValue": 2.0}}
    decoder = batch_decoder_for(SPOTIFY100, distributions=False, kind=kind)
    got = decoder.decode([json.dumps(dist).encode(), json.dumps(double).encode()])
    assert got.rejected == [(0, UNSUPPORTED_DISTRIBUTION, "unsupported")]
    assert [v for _, _, v in got.columns.points()] == [2.0]
    assert not got.columns.distributions


@pytest.mark.parametrize("kind", KINDS)
def test_the_cache_maps_each_raw_identity_once_and_stays_bounded(kind: str) -> None:
    cache = SeriesCache(max_size=8)
    decoder = batch_decoder_for(SPOTIFY100, cache, kind=kind)
    payloads = [
        json.dumps(
            {"version": "1.0.0", "key": "k", "host": f"h{i % 20}", "time": i + 1, "value": 1.0}
        ).encode()
        for i in range(100)
    ]
    decoder.decode(payloads[:4])
    assert cache.misses == 4
    decoder.decode(payloads[:4])
    assert cache.misses == 4  # all hits
    got = decoder.decode(payloads)
    # never trimmed within a batch: one series, one entry (one code) in it
    codes: dict[str, set[int]] = {}
    for entry, _, _ in got.columns.points():
        codes.setdefault(entry.series.tags["host"], set()).add(entry.code)
    assert all(len(c) == 1 for c in codes.values())
    decoder.decode([])  # the next batch trims first
    assert len(cache) <= 8
    assert [e.series.tags["host"] for e, _, _ in got.columns.points()] == [
        f"h{i % 20}" for i in range(100)
    ]


# --- Spotify100Proto ---------------------------------------------------------------------------

_proto_text = st.text(alphabet=st.sampled_from("ab\u00e9"), max_size=3)
_metric = st.fixed_dictionaries(
    {
        "key": _proto_text,
        "time": st.integers(-2, 2**62),
        "value": st.floats(allow_nan=False),
        "tags": st.dictionaries(_proto_text, _proto_text, max_size=3),
        "resource": st.dictionaries(_proto_text, _proto_text, max_size=2),
        "value_kind": st.sampled_from(["plain", "double", "distribution", "empty"]),
    }
)


def _batch(metrics: list[dict[str, Any]]) -> bytes:
    batch = proto.Batch()
    for fields in metrics:
        m = batch.metric.add()
        m.key, m.time, m.value = fields["key"], fields["time"], fields["value"]
        m.tags.update(fields["tags"])
        m.resource.update(fields["resource"])
        kind = fields["value_kind"]
        if kind == "double":
            m.distribution_type_value.double_value = fields["value"] + 1
        elif kind == "distribution":
            m.distribution_type_value.distribution_value = b"\x07"
        elif kind == "empty":
            m.distribution_type_value.SetInParent()
    return bytes(cramjam.snappy.compress_raw(batch.SerializeToString()))


@pytest.mark.parametrize("kind", KINDS)
@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.lists(_metric, max_size=5), max_size=5),
    st.lists(st.binary(max_size=10), max_size=2),
    st.integers(1, 4),
)
def test_spotify100_proto_agrees_with_the_reference(
    kind: str, batches: list[list[dict[str, Any]]], garbage: list[bytes], cache_size: int
) -> None:
    payloads = [_batch(b) for b in batches] + garbage
    agree(SPOTIFY100_PROTO, decode_spotify100_proto, payloads, cache_size, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_a_proto_map_entry_with_invalid_utf8_is_rejected_as_the_reference_does(
    kind: str,
) -> None:
    # Metric{key:"k", time:5, tags:{"a": b"\xff"}} written by hand: the library refuses to.
    entry = b"\x0a\x01a\x12\x01\xff"
    metric = b"\x0a\x01k\x10\x05" + b"\x22" + bytes([len(entry)]) + entry
    payload = bytes(cramjam.snappy.compress_raw(b"\x0a" + bytes([len(metric)]) + metric))
    with pytest.raises(DecodeError) as reference:
        decode_spotify100_proto(payload)
    got = batch_decoder_for(SPOTIFY100_PROTO, kind=kind).decode([payload])
    assert [(i, why) for i, why, _ in got.rejected] == [(0, str(reference.value))]
    assert len(got.columns) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_a_proto_map_key_sent_twice_keeps_its_last_value_and_upstreams_id(kind: str) -> None:
    # Metric{key:"k", time:5, tags: [b="z", a="x", a="y"]}: the library never writes a key
    # twice, the wire may; the series (sorted, later entry wins) and its id as the reference's.
    entries = [b"\x0a\x01b\x12\x01z", b"\x0a\x01a\x12\x01x", b"\x0a\x01a\x12\x01y"]
    metric = b"\x0a\x01k\x10\x05" + b"".join(b"\x22" + bytes([len(e)]) + e for e in entries)
    payload = bytes(cramjam.snappy.compress_raw(b"\x0a" + bytes([len(metric)]) + metric))
    agree(SPOTIFY100_PROTO, decode_spotify100_proto, [payload], 8, kind)
    got = batch_decoder_for(SPOTIFY100_PROTO, kind=kind).decode([payload])
    [(entry, _, _)] = got.columns.points()
    assert list(entry.series.tags.items()) == [("a", "y"), ("b", "z")]
    assert entry.series.id == Series("k", {"a": "y", "b": "z"}).id


def test_unknown_schema_is_named() -> None:
    with pytest.raises(ValueError, match="unknown consumer schema 'Spotify200'"):
        batch_decoder_for("Spotify200")


# --- which decoder -----------------------------------------------------------------------------


def test_the_compiled_decoder_is_built_where_cargo_is() -> None:
    # An install with cargo must not fall back to Python quietly (setuptools-rust's build of it
    # is optional so that one without cargo still works).
    cargo = shutil.which("cargo") or shutil.which("cargo", path=str(Path.home() / ".cargo/bin"))
    if cargo is None:
        pytest.skip("no cargo on this machine: the consumer decodes in Python")
    assert native_decode.AVAILABLE, (
        "cargo is here but heroic_consumer._native is not built: make venv builds it"
    )


def test_the_decoder_asked_for_is_used_and_an_unknown_one_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(DECODER_ENV, "python")
    assert batch_decoder_for(SPOTIFY100).kind == "python"
    monkeypatch.setenv(DECODER_ENV, "fortran")
    with pytest.raises(ValueError, match="must be one of native, python, got 'fortran'"):
        batch_decoder_for(SPOTIFY100)
    monkeypatch.delenv(DECODER_ENV)
    monkeypatch.setattr(native_decode, "AVAILABLE", False)
    assert decoder_kind() == "python"
    with pytest.raises(ValueError, match=r"native decoder was asked for.*not built"):
        decoder_kind("native")
