"""The metadata and suggest contract suites against every search engine of the test
environment: Elasticsearch 7.10 and 9 (secured), OpenSearch 2 and 3. Suggest is skipped on
Elasticsearch 9, whose Maven Central distribution lacks analysis-common.

Each test gets its own index pattern and template name (uuid), so runs never see each
other's documents; the indices and templates are deleted afterwards.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from heroic_core.backends.base import MetadataBackend, SuggestBackend
from heroic_core.backends.elasticsearch.metadata import ElasticsearchMetadataBackend
from heroic_core.backends.elasticsearch.suggest import ElasticsearchSuggestBackend
from heroic_core.backends.errors import BackendRejectedError
from heroic_core.config.elasticsearch import (
    ElasticsearchMetadataConfig,
    ElasticsearchSuggestConfig,
)
from heroic_core.filters import MatchKey
from heroic_core.model import DateRange, Series
from tests.contract.metadata import MetadataBackendContract
from tests.contract.suggest import SuggestBackendContract
from tests.integration.backends.search_engines import SearchEngine, drop, engine_params

METADATA = ("metadata",)
SUGGEST = ("series", "tag")


def templates(prefix: str, types: tuple[str, ...] = METADATA) -> list[str]:
    return [f"{prefix}-{t}" for t in types]


@pytest.fixture(params=engine_params())
def engine(request: pytest.FixtureRequest) -> SearchEngine:
    engine: SearchEngine = request.param
    return engine


@pytest.fixture(params=engine_params(suggest=True))
def suggest_engine(request: pytest.FixtureRequest) -> SearchEngine:
    engine: SearchEngine = request.param
    return engine


class TestElasticsearchMetadataBackend(MetadataBackendContract):
    @pytest.fixture
    async def backend(self, engine: SearchEngine) -> AsyncIterator[MetadataBackend]:
        prefix = f"test-{uuid.uuid4().hex[:10]}"
        config = ElasticsearchMetadataConfig.model_validate(
            {
                "type": "elasticsearch",
                "connection": engine.connection(prefix),
                "templateName": prefix,
            }
        )
        backend = ElasticsearchMetadataBackend(config)
        await backend.configure()
        yield backend
        await backend.close()
        await drop(engine, prefix, templates(prefix))

    async def settle(self, backend: MetadataBackend) -> None:
        assert isinstance(backend, ElasticsearchMetadataBackend)
        await backend.refresh()


class TestElasticsearchSuggestBackend(SuggestBackendContract):
    @pytest.fixture
    async def backend(self, suggest_engine: SearchEngine) -> AsyncIterator[SuggestBackend]:
        prefix = f"test-{uuid.uuid4().hex[:10]}"
        config = ElasticsearchSuggestConfig.model_validate(
            {
                "type": "elasticsearch",
                "connection": suggest_engine.connection(prefix),
                "templateName": prefix,
            }
        )
        backend = ElasticsearchSuggestBackend(config)
        await backend.configure()
        yield backend
        await backend.close()
        await drop(suggest_engine, prefix, templates(prefix, SUGGEST))

    async def settle(self, backend: SuggestBackend) -> None:
        assert isinstance(backend, ElasticsearchSuggestBackend)
        await backend.refresh()


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_configure_true_puts_templates_before_the_first_write(
    anyio_backend: str, engine: SearchEngine
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    config = ElasticsearchMetadataConfig.model_validate(
        {
            "type": "elasticsearch",
            "connection": engine.connection(prefix),
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
        await drop(engine, prefix, templates(prefix))


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_concurrent_first_writes_wait_for_the_templates(
    anyio_backend: str, engine: SearchEngine
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    config = ElasticsearchMetadataConfig.model_validate(
        {
            "type": "elasticsearch",
            "connection": engine.connection(prefix),
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
        await drop(engine, prefix, templates(prefix))


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_dynamic_read_indices_over_a_long_range_still_find_series(
    anyio_backend: str, engine: SearchEngine
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    conn = engine.connection(prefix)
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
        await drop(engine, prefix, templates(prefix))


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_an_existing_index_mapping_a_field_otherwise_fails_configure(
    anyio_backend: str, engine: SearchEngine
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    admin = engine.admin()
    index = f"{prefix}-metadata-0"
    backend = ElasticsearchMetadataBackend(
        ElasticsearchMetadataConfig.model_validate(
            {
                "type": "elasticsearch",
                "connection": engine.connection(prefix),
                "templateName": prefix,
            }
        )
    )
    try:
        body = {"mappings": {"properties": {"key": {"type": "long"}}}}
        await admin.request("PUT", f"/{index}", body=body)
        with pytest.raises(BackendRejectedError) as caught:
            await backend.configure()
        assert f"existing index {index}" in caught.value.message
        assert "field 'key' has type 'long', heroic needs 'keyword'" in caught.value.message
    finally:
        await admin.close()
        await backend.close()
        await drop(engine, prefix, templates(prefix))


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_someone_elses_template_winning_over_ours_fails_configure(
    anyio_backend: str, engine: SearchEngine
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    other = f"{prefix}-someone-else"
    admin = engine.admin()
    backend = ElasticsearchMetadataBackend(
        ElasticsearchMetadataConfig.model_validate(
            {
                "type": "elasticsearch",
                "connection": engine.connection(prefix),
                "templateName": prefix,
            }
        )
    )
    try:
        body = {
            "index_patterns": [f"{prefix}-metadata-*"],
            "priority": 500,
            "template": {"mappings": {"properties": {"tags": {"type": "text"}}}},
        }
        await admin.request("PUT", f"/_index_template/{other}", body=body)
        with pytest.raises(BackendRejectedError) as caught:
            await backend.configure()
        assert other in caught.value.message
        assert "field 'tags' has type 'text', heroic needs 'keyword'" in caught.value.message
    finally:
        await admin.close()
        await backend.close()
        await drop(engine, prefix, [*templates(prefix), other])


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_sniffing_finds_the_node_and_serves_writes_and_searches(
    anyio_backend: str, engine: SearchEngine
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    connection = engine.connection(prefix)
    # seeded by name: the node publishes its IP, so a node at 127.0.0.1 comes from sniffing
    seed = engine.url().replace("127.0.0.1", "localhost")
    connection["client"] |= {"seeds": [seed], "sniff": True, "sniffInterval": "1s"}
    backend = ElasticsearchMetadataBackend(
        ElasticsearchMetadataConfig.model_validate(
            {"type": "elasticsearch", "connection": connection, "templateName": prefix}
        )
    )
    series = Series("sniffed", {"a": "b"})
    try:
        await backend.configure()
        await backend.write(series, DateRange(0, 0))
        await backend.refresh()
        found = await backend.find_series(MatchKey("sniffed"), DateRange(0, 0))
        assert found.series == (series,)
        pool = backend.connection.client.transport.node_pool
        port = int(engine.url().rsplit(":", 1)[1])
        assert ("127.0.0.1", port) in {(n.config.host, n.config.port) for n in pool.all()}
    finally:
        await backend.close()
        await drop(engine, prefix, templates(prefix))
