"""The typed fast path of ``POST /write`` accepts only what the document path accepts, with
the same series and points; everything else it leaves to the document path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from heroic_api.body import decode_json
from heroic_api.fastwrite import fast_decode
from heroic_api.schemas import WriteBody, parse_model
from heroic_api.services.write import decode_points, decode_series
from heroic_core.errors import HeroicError

_text = st.text(alphabet=st.sampled_from("ab\u00e9 "), max_size=3)
_number = st.one_of(
    st.integers(-3, 2**64), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.just(1.0e12), st.none(), _text,
)  # fmt: skip
_pair = st.one_of(
    st.tuples(st.integers(0, 50), st.floats(allow_nan=False, allow_infinity=False)),
    st.lists(_number, max_size=3),
)
_body = st.fixed_dictionaries(
    {},
    optional={
        "series": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {"key": st.one_of(_text, st.none(), st.integers(0, 2))},
                optional={
                    "tags": st.one_of(
                        st.none(), st.dictionaries(_text, st.one_of(_text, st.none()))
                    ),
                    "resource": st.dictionaries(_text, _text, max_size=2),
                },
            ),
        ),
        "data": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["points", "spreads", "distributionPoints"]),
                    "data": st.lists(_pair, max_size=8),
                }
            ),
        ),
        "extra": st.just(1),
    },
)


def _document_path(raw: bytes) -> tuple[Any, Any] | None:
    try:
        body = parse_model(WriteBody, decode_json(raw))
        series = decode_series(body.series, "series")
        return series, None if body.data is None else decode_points(body.data)
    except HeroicError:
        return None


def _same(fast: tuple[Any, Any], slow: tuple[Any, Any]) -> None:
    assert fast[0] == slow[0]
    assert fast[0].id == slow[0].id
    if slow[1] is None:
        assert fast[1] is None
        return
    assert fast[1].timestamps.tolist() == slow[1].timestamps.tolist()
    assert fast[1].values.tolist() == slow[1].values.tolist()


@settings(max_examples=400, deadline=None)
@given(_body)
def test_the_fast_path_means_what_the_document_path_means(body: dict[str, Any]) -> None:
    raw = json.dumps(body).encode()
    fast, slow = fast_decode(raw), _document_path(raw)
    if fast is not None:
        assert slow is not None, "the fast path accepted what the document path refuses"
        _same(fast, slow)


def test_the_usual_body_takes_the_fast_path() -> None:
    raw = json.dumps(
        {
            "series": {"key": "k", "tags": {"host": "a"}},
            "data": {"type": "points", "data": [[3, 1.0], [1, 2], [3, 4.5]]},
        }
    ).encode()
    fast = fast_decode(raw)
    assert fast is not None
    assert fast[1] is not None
    assert fast[1].timestamps.tolist() == [1, 3]
    assert fast[1].values.tolist() == [2.0, 4.5]  # the last write of 3 wins


@pytest.mark.parametrize(
    "raw",
    [
        b'{"series": {"key": "k"}, "data": {"type": "points", "data": [[-1, 1.0]]}}',
        b'{"series": {"key": "k"}, "data": {"type": "points", "data": [[1.5, 1.0]]}}',
        b'{"series": {"key": "k"}, "data": {"type": "points", "data": [[1, true]]}}',
        b'{"series": {"key": "k"}, "data": {"type": "points", "data": [[1, NaN]]}}',
        b'{"series": {"key": "k"}, "data": {"type": "points", "data": [[18446744073709551615, 1'
        b"]]}}",
        b'{"series": {"key": "\\ud800"}, "data": {"type": "points", "data": [[1, 1]]}}',
        b"",
    ],
    ids=["negative", "float-time", "bool-value", "nan", "beyond-int64", "lone-surrogate", "empty"],
)
def test_bad_bodies_are_left_to_the_document_path(raw: bytes) -> None:
    assert fast_decode(raw) is None
