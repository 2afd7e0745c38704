"""Row keys as values (``BackendKey``, ``KeyRange``), which part of a range one row holds, and
the Cassandra key scan's tokens and CQL."""

from __future__ import annotations

import pytest

from heroic_core.backends.cassandra import schema
from heroic_core.backends.cassandra.keys import MAX_TOKEN, MIN_TOKEN, percentage_token
from heroic_core.backends.keyspace import BackendKey, KeyRange
from heroic_core.backends.rows import row_window
from heroic_core.errors import RequestError
from heroic_core.model import DateRange, Series


def test_a_key_round_trips_through_upstreams_json() -> None:
    key = BackendKey(Series("cpu", {"host": "a"}, {"pod": "p"}), 2**32, token=-5)
    assert key.to_json() == {
        "series": {"key": "cpu", "tags": {"host": "a"}, "resource": {"pod": "p"}},
        "base": 2**32,
        "type": "points",
        "token": -5,
    }
    assert BackendKey.from_json(key.to_json()) == key


@pytest.mark.parametrize(
    ("obj", "problem"),
    [
        ([], "a key must be an object"),
        ({"series": {"key": 5}}, "key series: series key must be a string"),
        ({"series": {"key": "a"}, "base": "0"}, "key base must be an integer"),
        ({"series": {"key": "a"}, "type": "spreads"}, "key type must be 'points'"),
        ({"series": {"key": "a"}, "token": 1.5}, "key token must be an integer"),
    ],
)
def test_a_bad_key_says_what_is_wrong(obj: object, problem: str) -> None:
    with pytest.raises(RequestError, match=problem):
        BackendKey.from_json(obj)


def test_a_key_range_refuses_percentages_outside_0_to_100() -> None:
    with pytest.raises(RequestError, match="start_percentage must be between 0 and 100"):
        KeyRange(start_percentage=101)


def test_percentages_span_the_whole_token_ring() -> None:
    assert percentage_token(0) == MIN_TOKEN
    assert percentage_token(100) == MAX_TOKEN
    assert percentage_token(50) in (-1, 0)
    assert percentage_token(25) < percentage_token(26)


@pytest.mark.parametrize(
    ("base", "range_", "expected"),
    [
        (0, DateRange(-1, 10**12), DateRange(-1, 99)),
        (100, DateRange(-1, 10**12), DateRange(99, 199)),
        (100, DateRange(150, 160), DateRange(150, 160)),
        (100, DateRange(0, 99), None),
        (100, DateRange(199, 300), None),
    ],
)
def test_a_row_window_is_the_part_of_the_range_the_row_holds(
    base: int, range_: DateRange, expected: DateRange | None
) -> None:
    assert row_window(base, 100, range_) == expected


def test_the_key_scan_bounds_by_token_of_a_key_or_by_a_token() -> None:
    assert schema.select_keys("ks", "key", "token", limit=True) == (
        "SELECT DISTINCT metric_key, token(metric_key) FROM ks.metrics "
        "WHERE token(metric_key) >= token(?) AND token(metric_key) < ? LIMIT ?"
    )
    assert schema.select_keys("ks", None, None, limit=False).endswith("FROM ks.metrics")
