"""The memory backends satisfy the shared contracts, plus memory-specific behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest

from heroic_core.backends.base import MetadataBackend, MetricBackend, SuggestBackend
from heroic_core.backends.memory import (
    MemoryMetadataBackend,
    MemoryMetricBackend,
    MemorySuggestBackend,
)
from heroic_core.errors import RequestError
from heroic_core.filters import TRUE
from heroic_core.model import DateRange, Points, Series
from tests.contract.metadata import MetadataBackendContract
from tests.contract.metric import MetricBackendContract
from tests.contract.suggest import SuggestBackendContract

RANGE = DateRange(0, 1000)


class TestMemoryMetricBackend(MetricBackendContract):
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
async def test_memory_metric_fetch_returns_independent_arrays() -> None:
    backend = MemoryMetricBackend()
    series = Series("k")
    await backend.write(series, Points.of([(1, 1.0)]))
    fetched = await backend.fetch(series, RANGE)
    fetched.values[0] = 99.0
    assert (await backend.fetch(series, RANGE)).values[0] == 1.0


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
