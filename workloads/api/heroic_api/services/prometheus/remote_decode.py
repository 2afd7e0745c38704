"""A parsed ``prometheus.WriteRequest`` as Heroic series and points, validated whole.

Every series is checked before anything is written, so that remote write never stores part of
a request it then refuses; ``InvalidSeriesError`` names the first bad series by its index in the
request and its labels. The rules:

* Labels become a series by ``heroic_core.promql.names.series_of``: ``__name__`` is the key,
  other labels are tags, labels with an empty value are dropped (Prometheus treats them as
  absent). Metric and label names are unescaped as the node's ``NameEscaping`` says.
* A label name must be non-empty and appear once; ``__name__`` must be present and non-empty.
  Labels need not be sorted (Prometheus sends them sorted; a ``Series`` sorts its tags).
* Values are any float64, NaN and infinities included, except Prometheus' staleness marker
  (the NaN with bits ``0x7ff0000000000002``): it says "this series ended", not a value, so it is
  dropped and counted.
* Timestamps are milliseconds and must not be negative (as for ``POST /write``).
* The samples of a series are sorted by timestamp; of several with one timestamp the last sent
  wins, as a later write would. A series sent twice in one request is merged.
* Exemplars, native histograms and metric metadata have no place in Heroic's model: counted,
  never stored.

Pure: no I/O, no HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from heroic_core.model import Points, Series
from heroic_core.promql.names import NAME_LABEL, EscapedNameError, NameEscaping, series_of, unescape

#: Prometheus' staleness marker (``value.StaleNaN``), compared by bits: every NaN is unequal.
STALE_NAN_BITS = 0x7FF0000000000002
#: Error messages show at most this many characters of a series' labels.
MAX_SHOWN = 300


class InvalidSeriesError(ValueError):
    """A series of the request breaks a rule; the message names it."""


@dataclass(frozen=True, slots=True)
class DecodedWrite:
    """The series to write (each once, points sorted) and what the request held."""

    items: list[tuple[Series, Points]]
    series: int
    samples: int
    stale_markers: int
    exemplars: int
    histograms: int
    metadata: int


def decode_write(request: Any, escaping: NameEscaping = NameEscaping.ALLOW_UTF8) -> DecodedWrite:
    """The series and points of a parsed ``WriteRequest``; ``InvalidSeriesError`` for the first
    series that breaks a rule (see the module docstring)."""
    parts: dict[Series, list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]] = {}
    samples = stale = exemplars = histograms = 0
    for index, message in enumerate(request.timeseries):
        series = _series(index, message.labels, escaping)
        times, values = _samples(index, message)
        fresh = values.view(np.uint64) != STALE_NAN_BITS
        kept = int(np.count_nonzero(fresh))
        stale += len(values) - kept
        samples += kept
        exemplars += len(message.exemplars)
        histograms += len(message.histograms)
        if kept:
            parts.setdefault(series, []).append((times[fresh], values[fresh]))
    items = [(series, _merged(chunks)) for series, chunks in parts.items()]
    return DecodedWrite(
        items,
        series=len(request.timeseries),
        samples=samples,
        stale_markers=stale,
        exemplars=exemplars,
        histograms=histograms,
        metadata=len(request.metadata),
    )


def _series(index: int, labels: Any, escaping: NameEscaping) -> Series:
    named: dict[str, str] = {}
    for label in labels:
        if not label.name:
            raise _invalid(index, labels, "a label has an empty name")
        try:
            name = unescape(label.name, escaping)
        except EscapedNameError as exc:
            raise _invalid(index, labels, str(exc)) from None
        if name in named:
            raise _invalid(index, labels, f"label {name!r} appears more than once")
        named[name] = label.value
    if not named.get(NAME_LABEL):
        raise _invalid(index, labels, f"no metric name (label {NAME_LABEL} missing or empty)")
    try:
        named[NAME_LABEL] = unescape(named[NAME_LABEL], escaping)
    except EscapedNameError as exc:
        raise _invalid(index, labels, str(exc)) from None
    return series_of(named)


def _samples(index: int, message: Any) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    count = len(message.samples)
    times = np.fromiter((s.timestamp for s in message.samples), dtype=np.int64, count=count)
    values = np.fromiter((s.value for s in message.samples), dtype=np.float64, count=count)
    if count and int(times.min()) < 0:
        raise _invalid(
            index,
            message.labels,
            f"timestamp {int(times.min())} is negative (milliseconds since 1970 are stored)",
        )
    return times, values


def _merged(chunks: list[tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]]) -> Points:
    """One series' samples sorted by time; of one timestamp the last sent wins."""
    if len(chunks) == 1:
        times, values = chunks[0]
    else:
        times = np.concatenate([t for t, _ in chunks])
        values = np.concatenate([v for _, v in chunks])
    order = np.argsort(times, kind="stable")
    times, values = times[order], values[order]
    if len(times) > 1:
        last = np.append(times[1:] != times[:-1], True)
        times, values = times[last], values[last]
    return Points(times, values)


def _invalid(index: int, labels: Iterable[Any], problem: str) -> InvalidSeriesError:
    shown = ", ".join(
        f"{label.name}={json.dumps(label.value, ensure_ascii=False)}" for label in labels
    )
    if len(shown) > MAX_SHOWN:
        shown = shown[:MAX_SHOWN] + "..."
    return InvalidSeriesError(f"series {index} {{{shown}}}: {problem}")
