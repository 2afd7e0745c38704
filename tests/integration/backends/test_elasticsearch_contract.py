"""The metadata and suggest contract suites against the test environment's Elasticsearch.

Each test gets its own index pattern and template name (uuid), so runs never see each
other's documents; the indices are deleted afterwards.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest
from elasticsearch import AsyncElasticsearch

from heroic_core.backends.base import MetadataBackend, SuggestBackend
from heroic_core.backends.elasticsearch.metadata import ElasticsearchMetadataBackend
from heroic_core.backends.elasticsearch.suggest import ElasticsearchSuggestBackend
from heroic_core.config.elasticsearch import (
    ElasticsearchMetadataConfig,
    ElasticsearchSuggestConfig,
)
from heroic_core.filters import MatchKey
from heroic_core.model import DateRange, Series
from tests.contract.metadata import MetadataBackendContract
from tests.contract.suggest import SuggestBackendContract

pytestmark = pytest.mark.elasticsearch


def connection(prefix: str) -> dict[str, object]:
    return {
        "index": {"type": "rotating", "pattern": f"{prefix}-%s", "interval": "7d"},
        "client": {"type": "rest", "seeds": [os.environ["ELASTICSEARCH_URL"]]},
    }


async def drop(prefix: str) -> None:
    client = AsyncElasticsearch([os.environ["ELASTICSEARCH_URL"]])
    try:
        await client.indices.delete(index=f"{prefix}-*", params={"ignore_unavailable": "true"})
        await client.indices.delete_template(name=f"{prefix}-*", ignore=[404])
    finally:
        await client.close()


class TestElasticsearchMetadataBackend(MetadataBackendContract):
    @pytest.fixture
    async def backend(self) -> AsyncIterator[MetadataBackend]:
        prefix = f"test-{uuid.uuid4().hex[:10]}"
        config = ElasticsearchMetadataConfig.model_validate(
            {"type": "elasticsearch", "connection": connection(prefix), "templateName": prefix}
        )
        backend = ElasticsearchMetadataBackend(config)
        await backend.configure()
        yield backend
        await backend.close()
        await drop(prefix)

    async def settle(self, backend: MetadataBackend) -> None:
        assert isinstance(backend, ElasticsearchMetadataBackend)
        await backend.refresh()


class TestElasticsearchSuggestBackend(SuggestBackendContract):
    @pytest.fixture
    async def backend(self) -> AsyncIterator[SuggestBackend]:
        prefix = f"test-{uuid.uuid4().hex[:10]}"
        config = ElasticsearchSuggestConfig.model_validate(
            {"type": "elasticsearch", "connection": connection(prefix), "templateName": prefix}
        )
        backend = ElasticsearchSuggestBackend(config)
        await backend.configure()
        yield backend
        await backend.close()
        await drop(prefix)

    async def settle(self, backend: SuggestBackend) -> None:
        assert isinstance(backend, ElasticsearchSuggestBackend)
        await backend.refresh()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_configure_true_puts_templates_before_the_first_write(anyio_backend: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    config = ElasticsearchMetadataConfig.model_validate(
        {
            "type": "elasticsearch",
            "connection": connection(prefix),
            "templateName": prefix,
            "configure": True,
        }
    )
    backend = ElasticsearchMetadataBackend(config)
    try:
        await backend.write(Series("k", {"a": "b"}), DateRange(0, 0))
        assert (await backend.configure()).created == ()
    finally:
        await backend.close()
        await drop(prefix)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_concurrent_first_writes_wait_for_the_templates(anyio_backend: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    config = ElasticsearchMetadataConfig.model_validate(
        {
            "type": "elasticsearch",
            "connection": connection(prefix),
            "templateName": prefix,
            "configure": True,
        }
    )
    backend = ElasticsearchMetadataBackend(config)
    series = [Series("k", {"n": str(i)}) for i in range(20)]
    try:
        await asyncio.gather(*(backend.write(s, DateRange(0, 0)) for s in series))
        await backend.refresh()
        # An index created before its template would map fields as text and fail this search.
        found = await backend.find_series(MatchKey("k"), DateRange(0, 2**42))
        assert sorted(found.series) == sorted(series)
    finally:
        await backend.close()
        await drop(prefix)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_dynamic_read_indices_over_a_long_range_still_find_series(anyio_backend: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    conn = connection(prefix)
    conn["index"] = {
        "type": "rotating",
        "pattern": f"{prefix}-%s",
        "interval": "1d",
        "supportDynamicMaxReadIndices": True,
    }
    config = ElasticsearchMetadataConfig.model_validate(
        {"type": "elasticsearch", "connection": conn, "templateName": prefix}
    )
    backend = ElasticsearchMetadataBackend(config)
    series = Series("k", {"a": "b"})
    try:
        await backend.configure()
        await backend.write(series, DateRange(0, 0))
        await backend.refresh()
        # (0, now] names ~20,000 daily indices: far more than one request line can carry
        found = await backend.find_series(MatchKey("k"), DateRange(0, 2**42))
        assert found.series == (series,)
    finally:
        await backend.close()
        await drop(prefix)
