"""Comparing two Prometheus API answers: normalised, within a float tolerance, with a diff a
person can read (the first differing series and timestamps, not a dump of both bodies).

Normalised means: the result type; each series' label set as a sorted tuple; timestamps as
integer milliseconds; values as floats (Prometheus sends them as strings), where NaN equals
NaN and infinities equal themselves; series sorted by labels unless the order is the point
(``sort``, ``sort_desc``). Must not talk to anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Labels = tuple[tuple[str, str], ...]
Samples = tuple[tuple[int, float], ...]
MAX_LINES = 12


@dataclass(frozen=True)
class Tolerance:
    """Relative and absolute float tolerance (``math.isclose`` semantics)."""

    rel: float = 1e-9
    abs: float = 1e-12

    def same(self, a: float, b: float) -> bool:
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=self.rel, abs_tol=self.abs)


STRICT = Tolerance()


@dataclass(frozen=True)
class Result:
    """A normalised successful answer: its type and (labels, samples) per series."""

    result_type: str
    series: tuple[tuple[Labels, Samples], ...]

    @property
    def sample_count(self) -> int:
        return sum(len(samples) for _, samples in self.series)


def _ms(timestamp: float) -> int:
    return round(timestamp * 1000)


def _sample(pair: list[Any]) -> tuple[int, float]:
    return _ms(float(pair[0])), float(pair[1])


def _labels(metric: dict[str, str]) -> Labels:
    return tuple(sorted(metric.items()))


def normalise(data: dict[str, Any], *, ordered: bool = False) -> Result:
    """The ``data`` member of a successful query answer, normalised."""
    kind, raw = data["resultType"], data["result"]
    series: list[tuple[Labels, Samples]]
    if kind == "scalar":
        series = [((), (_sample(raw),))]
    elif kind == "string":
        # A string has no float value; it is compared as the label of an empty series.
        series = [((("string", raw[1]),), ((_ms(float(raw[0])), 0.0),))]
    elif kind == "vector":
        series = [(_labels(item["metric"]), (_sample(item["value"]),)) for item in raw]
    elif kind == "matrix":
        series = [
            (_labels(item["metric"]), tuple(_sample(pair) for pair in item["values"]))
            for item in raw
        ]
    else:
        raise ValueError(f"unknown resultType {kind!r}")
    if not ordered:
        series.sort(key=lambda entry: entry[0])
    return Result(kind, tuple(series))


def show(labels: Labels) -> str:
    """``{a="1", b="2"}`` (the name inside, as PromQL's own output does)."""
    return "{" + ", ".join(f'{k}="{v}"' for k, v in labels) + "}"


def _sample_diff(ours: Samples, theirs: Samples, tolerance: Tolerance) -> list[str]:
    mine, peer = dict(ours), dict(theirs)
    lines = []
    for t in sorted(mine.keys() | peer.keys()):
        a, b = mine.get(t), peer.get(t)
        if a is None or b is None or not tolerance.same(a, b):
            lines.append(f"    t={t / 1000:.3f}: ours={a!r} prometheus={b!r}")
    return lines


def differences(ours: Result, theirs: Result, tolerance: Tolerance) -> list[str]:
    """What differs, first things first; empty when the answers agree."""
    if ours.result_type != theirs.result_type:
        return [f"resultType: ours={ours.result_type} prometheus={theirs.result_type}"]
    mine, peer = dict(ours.series), dict(theirs.series)
    lines = [f"series only in ours: {show(k)}" for k in mine if k not in peer]
    lines += [f"series only in prometheus: {show(k)}" for k in peer if k not in mine]
    for labels, samples in ours.series:
        if labels in peer:
            diff = _sample_diff(samples, peer[labels], tolerance)
            if diff:
                lines += [f"series {show(labels)}: {len(diff)} samples differ", *diff[:4]]
    if not lines and [k for k, _ in ours.series] != [k for k, _ in theirs.series]:
        lines.append("same series in another order:")
        pairs = zip(ours.series, theirs.series, strict=True)
        lines += [
            f"    ours {show(a)} / prometheus {show(b)}" for (a, _), (b, _) in pairs if a != b
        ]
    return lines


def report(query: str, params: dict[str, str], lines: list[str]) -> str:
    """An assertion message: the request, then at most ``MAX_LINES`` lines of differences."""
    more = len(lines) - MAX_LINES
    tail = [f"... and {more} more lines"] if more > 0 else []
    return "\n".join(
        [f"{query!r} with {params} differs from Prometheus:", *lines[:MAX_LINES], *tail]
    )
