"""``IndexCache.stale``: the positions of the series a backend must index again, whether the
batch's series are all known (read in one go) or some are new."""

from __future__ import annotations

import pytest

from heroic_consumer.indexcache import IndexCache


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> _Clock:
    return _Clock()


def test_known_series_indexed_within_the_ttl_need_nothing(clock: _Clock) -> None:
    cache = IndexCache(ttl=10, clock=clock)
    cache.remember("es", ["a", "b", "c"])
    clock.now = 9.0
    assert cache.stale("es", ["a", "b", "c", "a"]) == []
    assert cache.stale("other", ["a", "b"]) == [0, 1]


def test_series_past_the_ttl_are_stale_at_their_positions(clock: _Clock) -> None:
    cache = IndexCache(ttl=10, clock=clock)
    cache.remember("es", ["a", "b"])
    clock.now = 5.0
    cache.remember("es", ["c"])
    clock.now = 10.0
    assert cache.stale("es", ["c", "a", "c", "b"]) == [1, 3]
    assert cache.stale("es", ["a"]) == [0]


def test_new_series_among_known_ones_are_stale(clock: _Clock) -> None:
    cache = IndexCache(ttl=10, clock=clock)
    cache.remember("es", ["a", "b"])
    assert cache.stale("es", ["a", "new", "b", "other"]) == [1, 3]
    assert cache.stale("es", ["new"]) == [0]
    assert cache.stale("es", []) == []


def test_a_ttl_of_zero_indexes_every_time(clock: _Clock) -> None:
    cache = IndexCache(ttl=0, clock=clock)
    cache.remember("es", ["a"])
    assert cache.stale("es", ["a", "a"]) == [0, 1]


def test_a_series_indexed_again_is_evicted_last(clock: _Clock) -> None:
    cache = IndexCache(ttl=10, max_size=3, clock=clock)
    cache.remember("es", ["a", "b", "c"])
    cache.remember("es", ["a", "a"])
    cache.remember("es", ["d"])
    assert cache.stale("es", ["a", "b", "c", "d"]) == [1]
    assert len(cache) == 3
