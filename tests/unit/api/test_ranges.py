"""Query ranges: QueryDateRange decoding/evaluation, default cadence, shift_range (ref. 2.6, 3)."""

from __future__ import annotations

import pytest

from heroic_api.services.ranges import default_cadence, shift_range
from heroic_core.errors import JsonMappingError, RequestError
from heroic_core.model import DateRange
from heroic_core.ranges import AbsoluteRange, RelativeRange, decode_date_range, unit_to_millis

NOW = 1_700_000_040_000
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


@pytest.mark.parametrize(
    ("unit", "value", "millis"),
    [
        ("NANOSECONDS", 2_500_000, 2),
        ("MICROSECONDS", 1_999, 1),
        ("MILLISECONDS", 7, 7),
        ("SECONDS", 3, 3_000),
        ("MINUTES", 2, 2 * MINUTE),
        ("HOURS", 1, HOUR),
        ("DAYS", 2, 2 * DAY),
    ],
)
def test_unit_to_millis_truncates_like_java_time_unit(unit: str, value: int, millis: int) -> None:
    assert unit_to_millis(unit, value) == millis


def test_relative_range_is_unit_times_value_before_now() -> None:
    decoded = decode_date_range({"type": "relative", "unit": "hours", "value": 2})
    assert decoded == RelativeRange("HOURS", 2)
    assert decoded.evaluate(NOW) == DateRange(NOW - 2 * HOUR, NOW)


def test_relative_range_unit_defaults_to_days() -> None:
    decoded = decode_date_range({"type": "relative", "value": 1})
    assert decoded.evaluate(NOW) == DateRange(NOW - DAY, NOW)


@pytest.mark.parametrize("unit", ["WEEKS", "MONTHS", "fortnights"])
def test_relative_range_rejects_units_java_time_unit_lacks(unit: str) -> None:
    with pytest.raises(JsonMappingError) as info:
        decode_date_range({"type": "relative", "unit": unit, "value": 1})
    assert info.value.path == "range.unit"
    assert unit in info.value.message


def test_absolute_range_evaluates_to_itself() -> None:
    decoded = decode_date_range({"type": "absolute", "start": 1000, "end": 5000})
    assert decoded == AbsoluteRange(1000, 5000)
    assert decoded.evaluate(NOW) == DateRange(1000, 5000)


@pytest.mark.parametrize(
    "range_", [AbsoluteRange(5000, 5000), RelativeRange("DAYS", 0), RelativeRange("DAYS", -1)]
)
def test_empty_ranges_are_treated_as_absent(range_: AbsoluteRange | RelativeRange) -> None:
    assert range_.evaluate(NOW) is None


@pytest.mark.parametrize(
    ("obj", "path", "fragment"),
    [
        ({"type": "absolute", "start": 10, "end": 5}, "range", "before start"),
        ({"type": "absolute", "start": -1, "end": 5}, "range", "negative"),
        ({"type": "absolute", "end": 5}, "range.start", "missing"),
        ({"type": "absolute", "start": "x", "end": 5}, "range.start", "integer"),
        ({"type": "absolute", "start": 1.5, "end": 5}, "range.start", "integer"),
        ({"type": "sideways"}, "range.type", "sideways"),
        ({"start": 1, "end": 2}, "range.type", "None"),
        ([1, 2], "range", "object"),
    ],
)
def test_bad_ranges_name_the_field(obj: object, path: str, fragment: str) -> None:
    with pytest.raises(JsonMappingError) as info:
        decode_date_range(obj)
    assert info.value.path == path
    assert fragment in info.value.message


def test_relative_range_before_the_epoch_is_a_request_error() -> None:
    with pytest.raises(RequestError, match="before the epoch"):
        RelativeRange("DAYS", 100_000).evaluate(NOW)


@pytest.mark.parametrize(
    ("diff", "cadence"),
    [
        (HOUR, 10_000),  # nominal 15 s -> 10 s
        (DAY, 5 * MINUTE),  # nominal 6 min -> 5 min
        (7 * DAY, 30 * MINUTE),  # nominal 42 min -> 30 min
        (4 * HOUR, 30_000),  # nominal exactly 1 min -> strictly below -> 30 s
        (240, 1),  # nominal 1 ms -> nothing strictly below -> max(nominal, 1)
        (100, 1),  # nominal 0 -> 1
        (240 * 3, 1),  # nominal 3 ms -> 1 ms
        (365 * DAY, DAY),  # nominal ~36.5 h -> 1 d
        (240 * 30 * DAY, 14 * DAY),  # nominal 30 d -> the largest factor, 14 d
    ],
)
def test_default_cadence_is_largest_factor_strictly_below_diff_over_240(
    diff: int, cadence: int
) -> None:
    assert default_cadence(DateRange(0, diff)) == cadence


def test_shift_range_leaves_old_ranges_rounded_only() -> None:
    raw = DateRange(90_000, 10 * MINUTE + 30_000)
    assert shift_range(raw, MINUTE, NOW) == DateRange(MINUTE, 10 * MINUTE)


def test_shift_range_moves_a_range_ending_now_back_one_bucket() -> None:
    raw = DateRange(NOW - HOUR, NOW)
    assert shift_range(raw, MINUTE, NOW) == DateRange(NOW - HOUR - MINUTE, NOW - MINUTE)


def test_shift_range_without_cadence_shifts_by_the_tolerance_shortfall() -> None:
    raw = DateRange(NOW - 100_000, NOW - 5_000)
    assert shift_range(raw, 0, NOW) == DateRange(NOW - 110_000, NOW - 15_000)


def test_shift_range_pulls_a_future_end_back_before_now() -> None:
    raw = DateRange(NOW - MINUTE, NOW + 2 * MINUTE)
    assert shift_range(raw, MINUTE, NOW) == DateRange(NOW - 4 * MINUTE, NOW - MINUTE)


def test_shift_range_clamps_at_zero() -> None:
    assert shift_range(DateRange(0, 5_000), 0, 5_000) == DateRange(0, 0)


def test_shift_range_rejects_a_start_after_now() -> None:
    with pytest.raises(RequestError, match="start is greater than now"):
        shift_range(DateRange(NOW + 1, NOW + 2), MINUTE, NOW)
