"""The typed fast path of ``POST /write``: msgspec reads the usual body (a series and a
``points`` collection of ``[int, number]`` pairs) straight into typed fields, numpy makes the
columns. It only ever accepts what the document path (``services.write``) accepts, with the same
result; anything else (another collection type, a float timestamp, a negative one, a string
value, malformed JSON) returns None, and the document path answers, errors included.
"""

from __future__ import annotations

import msgspec
import numpy as np
import numpy.typing as npt

from heroic_core.model import Points, Series

_PAIR = np.dtype([("t", np.int64), ("v", np.float64)])


class _Series(msgspec.Struct, gc=False):
    key: str
    tags: dict[str, str] | None = None
    resource: dict[str, str] | None = None


class _Collection(msgspec.Struct, gc=False):
    type: str
    data: list[tuple[int, float]]


class _Write(msgspec.Struct, gc=False):
    series: _Series | None = None
    data: _Collection | None = None


_DECODER = msgspec.json.Decoder(_Write)


def fast_decode(raw: bytes) -> tuple[Series, Points | None] | None:
    """``(series, points)`` (``points`` None when the body has no ``data``), or None when the
    document path must read the body."""
    try:
        body = _DECODER.decode(raw)
    except msgspec.MsgspecError:
        return None
    series = _series(body.series)
    if series is None:
        return None
    if body.data is None:
        return series, None
    points = _collection(body.data)
    return None if points is None else (series, points)


def _series(given: _Series | None) -> Series | None:
    try:
        return Series("") if given is None else Series(given.key, given.tags, given.resource)
    except (TypeError, UnicodeEncodeError):
        return None


def _collection(collection: _Collection) -> Points | None:
    if collection.type != "points":
        return None
    try:
        pairs = np.array(collection.data, dtype=_PAIR)
    except (OverflowError, ValueError, TypeError):  # a timestamp beyond int64
        return None
    timestamps, values = pairs["t"], pairs["v"]
    if len(timestamps) and int(timestamps.min()) < 0:
        return None
    return _points(timestamps, values)


def _points(timestamps: npt.NDArray[np.int64], values: npt.NDArray[np.float64]) -> Points:
    """Sorted by timestamp, the last of equal timestamps winning (as ``Points.of``)."""
    if len(timestamps) < 2 or bool((timestamps[1:] > timestamps[:-1]).all()):
        return Points(np.ascontiguousarray(timestamps), np.ascontiguousarray(values))
    order = np.argsort(timestamps, kind="stable")
    ts, vs = timestamps[order], values[order]
    last = np.ones(len(ts), dtype=bool)
    last[:-1] = ts[1:] != ts[:-1]
    return Points(ts[last], vs[last])
