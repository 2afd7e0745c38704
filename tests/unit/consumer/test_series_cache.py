"""``SeriesCache.add_ids``: a batch's new identities of the compiled decoder's table, each
remembered as ``add_id`` would, raw forms of one series sharing one entry."""

from __future__ import annotations

from heroic_consumer.series_cache import SeriesCache
from heroic_core.model import Series


def test_ids_of_one_series_share_an_entry_and_each_counts_as_a_miss() -> None:
    cache = SeriesCache(8)
    a, b = Series("k", {"x": "1"}), Series("k", {"x": "2"})
    cache.add_ids([3, 0, 5], [a, b, Series("k", {"x": "1"})])
    first, other, again = cache.entries_of([3, 0, 5])
    assert first is again
    assert (first.series, first.refs) == (a, 2)
    assert (other.series, other.refs) == (b, 1)
    assert first.code != other.code
    assert cache.misses == 3
    cache.add_ids([], [])
    assert cache.misses == 3


def test_add_ids_agrees_with_add_id_one_at_a_time() -> None:
    one, many = SeriesCache(8), SeriesCache(8)
    series = [Series("k", {"x": str(i % 2)}) for i in range(4)]
    for ident, each in enumerate(series):
        one.add_id(ident, each)
    many.add_ids(list(range(4)), series)
    got = [(e.series, e.refs) for e in many.entries_of(range(4))]
    assert got == [(e.series, e.refs) for e in one.entries_of(range(4))]
