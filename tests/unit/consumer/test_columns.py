"""``Columns.group``: one group per series even when the decoders handed out several entries
for it, the ingestion filter leaving out whole series, distribution points beside points, and
compiled points of distinct entries grouped by their batch-local index as by their codes."""

from __future__ import annotations

import numpy as np

from heroic_consumer.columns import Columns, CompiledPoints
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


def _compiled(entries: list[SeriesEntry], locals_: list[int], *, distinct: bool) -> CompiledPoints:
    count = len(locals_)
    return CompiledPoints(
        entries,
        np.asarray(locals_, dtype=np.int32),
        np.asarray([30, 10, 20, 10, 30][:count], dtype=np.int64),
        np.arange(count, dtype=np.float64),
        np.arange(count, dtype=np.int32),
        distinct=distinct,
    )


def test_distinct_compiled_entries_group_by_local_index_as_by_code() -> None:
    c = Series("c")
    entries = [SeriesEntry(B), SeriesEntry(A), SeriesEntry(c)]
    for locals_ in ([1, 0, 1, 2, 1], [2, 2, 0, 0, 2]):  # the second leaves entry 1 out
        by_local = Columns(_compiled(entries, locals_, distinct=True)).group()
        by_code = Columns(_compiled(entries, locals_, distinct=False)).group()
        pairs = sorted(
            (s.key, p.timestamps.tolist(), p.values.tolist()) for s, p in by_code.batch.items()
        )
        assert (
            sorted(
                (s.key, p.timestamps.tolist(), p.values.tolist()) for s, p in by_local.batch.items()
            )
            == pairs
        )
        assert [e.series for e in by_local.entries] == list(by_local.batch.series)
    assert by_local.batch.series == (B, c)


def test_series_cache_counts_entries_named_by_several_identities() -> None:
    cache = SeriesCache(2)
    cache.add("a", A)
    cache.add("b", B)
    assert cache.shared == 0
    cache.add("a again", Series("a", {"host": "1"}))
    assert cache.shared == 1
    cache.trim()  # drops the oldest identities: "a", whose entry keeps one name
    assert cache.shared == 0
