"""The comparison helper itself (no servers): what counts as equal, and what a diff shows."""

from __future__ import annotations

import math
from typing import Any

import pytest

from .compare import Result, Tolerance, differences, normalise, report


def _matrix(*series: tuple[dict[str, str], list[tuple[float, str]]]) -> dict[str, Any]:
    result = [{"metric": m, "values": [[t, v] for t, v in values]} for m, values in series]
    return {"resultType": "matrix", "result": result}


def _vector(*series: tuple[dict[str, str], str]) -> dict[str, Any]:
    result = [{"metric": m, "value": [1700000000.5, v]} for m, v in series]
    return {"resultType": "vector", "result": result}


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (math.nan, math.nan, True),
        (math.nan, 1.0, False),
        (math.inf, math.inf, True),
        (math.inf, -math.inf, False),
        (1.0, 1.0 + 1e-12, True),
        (1.0, 1.0 + 1e-6, False),
        (0.0, 1e-13, True),
    ],
)
def test_tolerance_treats_nan_as_equal_and_is_relative(a: float, b: float, same: bool) -> None:
    assert Tolerance().same(a, b) is same


def test_normalise_reads_strings_and_seconds_and_sorts_series_by_labels() -> None:
    data = _matrix(({"b": "2"}, [(1.5, "NaN")]), ({"a": "1"}, [(1700000000.123, "+Inf")]))
    result = normalise(data)
    assert [labels for labels, _ in result.series] == [(("a", "1"),), (("b", "2"),)]
    assert result.series[0][1] == ((1700000000123, math.inf),)
    assert math.isnan(result.series[1][1][0][1])


def test_normalise_keeps_the_order_when_it_is_the_point() -> None:
    data = _vector(({"i": "b"}, "1"), ({"i": "a"}, "2"))
    assert [labels for labels, _ in normalise(data, ordered=True).series] == [
        (("i", "b"),),
        (("i", "a"),),
    ]


def test_normalise_scalar_and_string() -> None:
    scalar = normalise({"resultType": "scalar", "result": [10, "2.5"]})
    assert scalar == Result("scalar", (((), ((10_000, 2.5),)),))
    text = normalise({"resultType": "string", "result": [10, "hello"]})
    assert text.series[0][0] == (("string", "hello"),)


def test_differences_name_missing_series_and_first_differing_samples() -> None:
    ours = normalise(_matrix(({"i": "a"}, [(1, "1"), (2, "2")]), ({"i": "x"}, [(1, "1")])))
    theirs = normalise(_matrix(({"i": "a"}, [(1, "1"), (2, "2.5"), (3, "3")])))
    lines = differences(ours, theirs, Tolerance())
    assert lines == [
        'series only in ours: {i="x"}',
        'series {i="a"}: 2 samples differ',
        "    t=2.000: ours=2.0 prometheus=2.5",
        "    t=3.000: ours=None prometheus=3.0",
    ]


def test_differences_of_equal_answers_are_empty_and_types_are_compared_first() -> None:
    vector = normalise(_vector(({"i": "a"}, "1")))
    assert differences(vector, vector, Tolerance()) == []
    scalar = normalise({"resultType": "scalar", "result": [1, "1"]})
    assert differences(scalar, vector, Tolerance()) == ["resultType: ours=scalar prometheus=vector"]


def test_differences_report_another_order_when_ordered() -> None:
    ours = normalise(_vector(({"i": "a"}, "1"), ({"i": "b"}, "2")), ordered=True)
    theirs = normalise(_vector(({"i": "b"}, "2"), ({"i": "a"}, "1")), ordered=True)
    assert differences(ours, theirs, Tolerance())[0] == "same series in another order:"


def test_report_caps_the_lines() -> None:
    text = report("up", {"time": "1"}, [f"line {i}" for i in range(20)])
    assert text.splitlines()[0] == "'up' with {'time': '1'} differs from Prometheus:"
    assert text.splitlines()[-1] == "... and 8 more lines"
