"""The memory backends satisfy the shared contracts, plus memory-specific behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest

from heroic_core.backends import reduce
from heroic_core.backends.base import (
    CountSeries,
    FindKeys,
    FindSeries,
    KeySuggest,
    KeySuggestion,
    MetadataBackend,
    MetricBackend,
    SuggestBackend,
    TagKeyCount,
    TagKeyCountSuggestion,
    TagSuggest,
    TagSuggestion,
    TagValuesSuggest,
    TagValuesSuggestion,
    TagValueSuggest,
)
from heroic_core.backends.memory import (
    MemoryMetadataBackend,
    MemoryMetricBackend,
    MemorySuggestBackend,
)
from heroic_core.errors import RequestError
from heroic_core.filters import TRUE
from heroic_core.model import DateRange, Points, Series
from tests.contract.distributions import DistributionStoreContract
from tests.contract.metadata import MetadataBackendContract
from tests.contract.metric import MetricBackendContract
from tests.contract.suggest import SuggestBackendContract

RANGE = DateRange(0, 1000)


class TestMemoryMetricBackend(MetricBackendContract, DistributionStoreContract):
    @pytest.fixture
    async def backend(self) -> AsyncIterator[MetricBackend]:
        backend = MemoryMetricBackend()
        yield backend
        await backend.close()


class TestMemoryMetadataBackend(MetadataBackendContract):
    @pytest.fixture
    async def backend(self) -> AsyncIterator[MetadataBackend]:
        backend = MemoryMetadataBackend()
        yield backend
        await backend.close()


class TestMemorySuggestBackend(SuggestBackendContract):
    @pytest.fixture
    async def backend(self) -> AsyncIterator[SuggestBackend]:
        backend = MemorySuggestBackend()
        yield backend
        await backend.close()


@pytest.mark.anyio
async def test_memory_metric_fetch_cannot_change_stored_points() -> None:
    # Fetches are read-only views of the stored arrays (no copy per read).
    backend = MemoryMetricBackend()
    series = Series("k")
    await backend.write(series, Points.of([(1, 1.0)]))
    fetched = await backend.fetch(series, RANGE)
    with pytest.raises(ValueError, match="read-only"):
        fetched.values[0] = 99.0
    with pytest.raises(ValueError, match="read-only"):
        fetched.timestamps[0] = 2
    assert (await backend.fetch(series, RANGE)).values[0] == 1.0


@pytest.mark.anyio
async def test_memory_metric_fetch_promises_points_sorted_by_time() -> None:
    backend = MemoryMetricBackend()
    series = Series("k")
    await backend.write(series, Points.of([(3, 3.0), (1, 1.0)]))
    await backend.write(series, Points.of([(2, 2.0)]))
    fetched = await backend.fetch(series, RANGE)
    assert fetched.sorted_by_time
    assert fetched.timestamps.tolist() == [1, 2, 3]


@pytest.mark.anyio
async def test_memory_metric_fetch_keeps_what_it_read_when_more_is_written() -> None:
    backend = MemoryMetricBackend()
    series = Series("k")
    await backend.write(series, Points.of([(1, 1.0), (2, 2.0)]))
    fetched = await backend.fetch(series, RANGE)
    await backend.write(series, Points.of([(1, 10.0), (3, 3.0)]))
    assert (await backend.fetch(series, RANGE)).values.tolist() == [10.0, 2.0, 3.0]
    assert (fetched.timestamps.tolist(), fetched.values.tolist()) == ([1, 2], [1.0, 2.0])


@pytest.mark.anyio
async def test_memory_metric_last_duplicate_in_one_write_wins() -> None:
    backend = MemoryMetricBackend()
    series = Series("k")
    await backend.write(series, Points(np.array([5, 5], dtype=np.int64), np.array([1.0, 2.0])))
    assert [p.value for p in await backend.fetch(series, RANGE)] == [2.0]


@pytest.mark.anyio
async def test_memory_metadata_rejects_negative_limit() -> None:
    with pytest.raises(RequestError, match="limit must not be negative"):
        await MemoryMetadataBackend().find_series(TRUE, RANGE, limit=-1)


@pytest.mark.anyio
async def test_memory_metadata_keys_counts_duplicates() -> None:
    backend = MemoryMetadataBackend()
    for host in ("a", "b", "c"):
        await backend.write(Series("cpu", {"host": host}), RANGE)
    await backend.write(Series("mem"), RANGE)
    keys = await backend.find_keys(TRUE, RANGE, limit=1)
    assert (keys.keys, keys.size, keys.duplicates) == (("cpu",), 2, 2)


@pytest.mark.anyio
async def test_memory_suggest_default_limit_is_num_suggestions_limit() -> None:
    backend = MemorySuggestBackend(num_suggestions_limit=3)
    for i in range(5):
        await backend.write(Series("k", {"host": f"host-{i}"}), RANGE)
    assert len((await backend.tag_suggest(TRUE, RANGE, key="host")).suggestions) == 3
    values = await backend.tag_value_suggest(TRUE, RANGE, key="host")
    assert values.limited is True
    assert len(values.values) == 3


@pytest.mark.anyio
async def test_memory_suggest_limit_is_capped_at_250() -> None:
    backend = MemorySuggestBackend()
    for i in range(300):
        await backend.write(Series("k", {"host": f"h{i:03}"}), RANGE)
    result = await backend.tag_value_suggest(TRUE, RANGE, limit=1000, key="host")
    assert len(result.values) == 250


@pytest.mark.anyio
async def test_memory_suggest_empty_key_means_any_key() -> None:
    backend = MemorySuggestBackend()
    await backend.write(Series("k", {"a": "1", "b": "2"}), RANGE)
    suggestions = (await backend.tag_suggest(TRUE, RANGE, key="", value="")).suggestions
    assert {(s.key, s.value) for s in suggestions} == {("a", "1"), ("b", "2")}


@pytest.mark.anyio
async def test_memory_suggest_same_key_and_value_matches_either() -> None:
    backend = MemorySuggestBackend()
    await backend.write(Series("k", {"web": "x", "role": "web"}), RANGE)
    suggestions = (await backend.tag_suggest(TRUE, RANGE, key="web", value="web")).suggestions
    assert {(s.key, s.value) for s in suggestions} == {("web", "x"), ("role", "web")}


def test_memory_backends_satisfy_the_protocols() -> None:
    assert isinstance(MemoryMetricBackend(), MetricBackend)
    assert isinstance(MemoryMetadataBackend(), MetadataBackend)
    assert isinstance(MemorySuggestBackend(), SuggestBackend)


# --- reduction across backends/shards (reference 2.9) -----------------------------------------


async def two_shards() -> tuple[MemoryMetadataBackend, MemoryMetadataBackend]:
    a, b = MemoryMetadataBackend("a"), MemoryMetadataBackend("b")
    await a.write(Series("cpu", {"host": "1"}), RANGE)
    await a.write(Series("cpu", {"host": "2"}), RANGE)
    await b.write(Series("cpu", {"host": "2"}), RANGE)
    await b.write(Series("mem", {"role": "db"}), RANGE)
    return a, b


@pytest.mark.anyio
async def test_reduce_find_series_unions_and_limits() -> None:
    a, b = await two_shards()
    parts = [await a.find_series(TRUE, RANGE), await b.find_series(TRUE, RANGE)]
    assert len(reduce.find_series(parts).series) == 3
    limited = reduce.find_series(parts, limit=2)
    assert (len(limited.series), limited.limited) == (2, True)


@pytest.mark.anyio
async def test_reduce_count_sums() -> None:
    a, b = await two_shards()
    parts = [await a.count_series(TRUE, RANGE), await b.count_series(TRUE, RANGE, limit=1)]
    assert reduce.count_series(parts) == CountSeries(3, limited=True)


@pytest.mark.anyio
async def test_reduce_keys_counts_repeats_as_duplicates() -> None:
    a, b = await two_shards()
    merged = reduce.find_keys([await a.find_keys(TRUE, RANGE), await b.find_keys(TRUE, RANGE)])
    assert (merged.keys, merged.size, merged.duplicates) == (("cpu", "mem"), 2, 2)


@pytest.mark.anyio
async def test_reduce_tags_merges_instead_of_dropping() -> None:
    a, b = await two_shards()
    merged = reduce.find_tags([await a.find_tags(TRUE, RANGE), await b.find_tags(TRUE, RANGE)])
    assert merged.tags == {"host": ("1", "2"), "role": ("db",)}
    assert merged.size == 2


def test_reduce_tag_suggest_keeps_best_score_and_orders() -> None:
    merged = reduce.tag_suggest(
        [
            TagSuggest((TagSuggestion(1.0, "role", "db"), TagSuggestion(2.0, "host", "a"))),
            TagSuggest((TagSuggestion(3.0, "role", "db"), TagSuggestion(2.0, "host", "b"))),
        ],
        limit=2,
    )
    assert merged.suggestions == (TagSuggestion(3.0, "role", "db"), TagSuggestion(2.0, "host", "a"))


def test_reduce_key_suggest() -> None:
    merged = reduce.key_suggest(
        [KeySuggest((KeySuggestion(1.0, "b"),)), KeySuggest((KeySuggestion(1.0, "a"),))]
    )
    assert [s.key for s in merged.suggestions] == ["a", "b"]


def test_reduce_tag_value_suggest() -> None:
    merged = reduce.tag_value_suggest(
        [TagValueSuggest(("b", "c")), TagValueSuggest(("a", "b"))], limit=2
    )
    assert merged == TagValueSuggest(("a", "b"), limited=True)


def test_reduce_tag_values_suggest_applies_group_limit() -> None:
    merged = reduce.tag_values_suggest(
        [
            TagValuesSuggest((TagValuesSuggestion("host", ("a", "b"), False),)),
            TagValuesSuggest(
                (TagValuesSuggestion("host", ("c",), False), TagValuesSuggestion("x", ("1",), True))
            ),
        ],
        group_limit=2,
    )
    assert merged.suggestions == (
        TagValuesSuggestion("host", ("a", "b"), True),
        TagValuesSuggestion("x", ("1",), True),
    )
    assert merged.limited is False


def test_reduce_tagkey_count_sums_and_unites_exact_values() -> None:
    merged = reduce.tagkey_count(
        [
            TagKeyCount((TagKeyCountSuggestion("a", 1, ("x",)), TagKeyCountSuggestion("b", 5))),
            TagKeyCount((TagKeyCountSuggestion("a", 2, ("y", "z")),)),
        ],
        exact_limit=10,
    )
    assert merged.suggestions == (
        TagKeyCountSuggestion("a", 3, ("x", "y", "z")),
        TagKeyCountSuggestion("b", 5, None),
    )
    dropped = reduce.tagkey_count(
        [
            TagKeyCount((TagKeyCountSuggestion("a", 1, ("x",)),)),
            TagKeyCount((TagKeyCountSuggestion("a", 1, ("y",)),)),
        ],
        exact_limit=1,
    )
    assert dropped.suggestions[0].exact_values is None


def test_results_render_upstream_json() -> None:
    assert TagKeyCount((TagKeyCountSuggestion("a", 1),), limited=False).to_json() == {
        "suggestions": [{"key": "a", "count": 1}],
        "limited": False,
    }
    assert FindSeries((Series("k", {"a": "b"}),), limited=True).to_json() == {
        "series": [{"key": "k", "tags": {"a": "b"}, "resource": {}}],
        "limited": True,
    }
    assert FindKeys(("k",), 1, 0).to_json() == {"keys": ["k"], "size": 1, "duplicates": 0}
