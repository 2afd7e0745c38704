"""``Columns.group``: one group per series even when the decoders handed out several entries
for it, the ingestion filter leaving out whole series, and distribution points beside points."""

from __future__ import annotations

from heroic_consumer.columns import Columns
from heroic_consumer.series_cache import SeriesCache, SeriesEntry
from heroic_core.model import Series

A, B = Series("a", {"host": "1"}), Series("b")


def test_raw_forms_of_one_series_share_an_entry_and_make_one_group() -> None:
    cache = SeriesCache(8)
    first = cache.add(("a", "host=1"), A)
    second = cache.add(("a", "host= 1"), Series("a", {"host": "1"}))  # another raw form
    assert first is second
    columns = Columns()
    columns.append(first, 10, 1.0)
    columns.append(cache.add("b", B), 10, 2.0)
    columns.append(second, 10, 3.0)  # same series and time: the later value wins
    columns.append(second, 5, 4.0)
    grouped = columns.group()
    assert grouped.batch.series == (A, B)
    assert grouped.batch.points(0).timestamps.tolist() == [5, 10]
    assert grouped.batch.points(0).values.tolist() == [4.0, 3.0]
    assert grouped.filtered == []


def test_a_rejected_series_loses_its_points_and_distributions_only() -> None:
    columns = Columns()
    a, b = SeriesEntry(A), SeriesEntry(B)
    columns.append(a, 1, 1.0)
    columns.append(b, 2, 2.0)
    columns.distributions.append((b, 3, b"\x01"))
    columns.distributions.append((a, 4, b"\x02"))
    grouped = columns.group(lambda s: s.key == "a")
    assert grouped.filtered == [B]
    assert grouped.batch.series == (A,)
    assert [(s, d.timestamps.tolist()) for s, d in grouped.distributions] == [(A, [4])]
    assert grouped.spans() == ([A], [1], [4])


def test_rollback_drops_what_came_after_the_mark() -> None:
    columns = Columns()
    columns.append(SeriesEntry(A), 1, 1.0)
    mark = columns.mark()
    columns.append(SeriesEntry(B), 2, 2.0)
    columns.distributions.append((SeriesEntry(B), 3, b""))
    columns.rollback(mark)
    assert (columns.timestamps, columns.values, len(columns)) == ([1], [1.0], 1)


def test_series_cache_of_returns_one_entry_per_series() -> None:
    cache = SeriesCache(4)
    assert cache.of(A) is cache.of(Series("a", {"host": "1"}))
    assert cache.misses == 1


def test_series_with_one_upstream_hash_stay_apart() -> None:
    # upstream's id concatenates without separators: these two share it
    ab, a = Series("k", {"ab": "c"}), Series("k", {"a": "bc"})
    assert ab.id == a.id
    cache = SeriesCache(8)
    columns = Columns()
    columns.append(cache.add(1, ab), 5, 1.0)
    columns.append(cache.add(2, a), 5, 2.0)
    grouped = columns.group()
    assert sorted(grouped.batch.series) == sorted([ab, a])
    assert len(grouped.batch) == 2
