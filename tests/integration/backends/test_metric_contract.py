"""The metric contract suite against the Bigtable emulator and Cassandra of the test env.

Each module run uses its own table / keyspace (uuid); Cassandra's keyspace is dropped at the
end, the emulator's table too.
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import AsyncIterator, Iterator

import pytest

from heroic_core.backends.base import BulkMetricWriter, MetricBackend
from heroic_core.backends.bigtable import backend as bigtable_backend
from heroic_core.backends.bigtable.backend import BigtableMetricBackend
from heroic_core.backends.cassandra.backend import CassandraMetricBackend
from heroic_core.backends.cassandra.connection import build_cluster
from heroic_core.config.metrics import BigtableMetricConfig, DatastaxMetricConfig
from heroic_core.model import DateRange, Points, Series
from tests.contract.distributions import DistributionStoreContract
from tests.contract.metric import MetricBackendContract, pairs
from tests.contract.support import Scope


def bigtable_config(table: str) -> BigtableMetricConfig:
    return BigtableMetricConfig.model_validate(
        {"type": "bigtable", "project": "heroic-test", "instance": "heroic", "table": table}
    )


def cassandra_config(keyspace: str) -> DatastaxMetricConfig:
    return DatastaxMetricConfig.model_validate(
        {
            "type": "datastax",
            "seeds": [os.environ["CASSANDRA_CONTACT_POINTS"]],
            "schema": {
                "keyspace": keyspace,
                "replication": {"class": "SimpleStrategy", "replication_factor": 1},
            },
        }
    )


@pytest.fixture(scope="module")
def bigtable_table() -> Iterator[str]:
    table = f"contract-{uuid.uuid4().hex[:8]}"
    yield table
    from google.cloud.bigtable import Client  # noqa: PLC0415 - only with the emulator up

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Connecting to Bigtable emulator")
        Client(project="heroic-test", admin=True).instance("heroic").table(table).delete()


def drop_keyspace(keyspace: str) -> None:
    cluster = build_cluster(cassandra_config(keyspace))
    try:
        cluster.connect().execute(f"DROP KEYSPACE IF EXISTS {keyspace}")
    finally:
        cluster.shutdown()


@pytest.fixture(scope="module")
def cassandra_keyspace() -> Iterator[str]:
    keyspace = f"contract_{uuid.uuid4().hex[:8]}"
    yield keyspace
    drop_keyspace(keyspace)


@pytest.mark.bigtable
class TestBigtableMetricBackend(MetricBackendContract, DistributionStoreContract):
    @pytest.fixture
    async def backend(self, bigtable_table: str) -> AsyncIterator[MetricBackend]:
        backend = BigtableMetricBackend(bigtable_config(bigtable_table))
        await backend.configure()
        yield backend
        await backend.close()

    async def test_write_many_stores_every_series_across_rows(
        self, backend: MetricBackend, scope: Scope
    ) -> None:
        assert isinstance(backend, BulkMetricWriter)
        items = [
            (scope.series("many", {"n": str(i)}), Points.of([(i + 1, 1.0), (2**32 + i, 2.0)]))
            for i in range(300)
        ]
        await backend.write_many(items)
        for series, points in items[::37]:
            fetched = await backend.fetch(series, DateRange(0, 2**33))
            assert pairs(fetched) == pairs(points)

    async def test_write_many_splits_requests_at_bigtables_mutation_limit(
        self, backend: MetricBackend, scope: Scope, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        assert isinstance(backend, BulkMetricWriter)
        monkeypatch.setattr(bigtable_backend, "MAX_MUTATIONS_PER_REQUEST", 25)
        items = [(scope.series("split", {"n": str(i)}), Points.of([(5, 1.0)])) for i in range(60)]
        await backend.write_many(items)
        fetched = [await backend.fetch(series, DateRange(0, 10)) for series, _ in items]
        assert all(pairs(f) == [(5, 1.0)] for f in fetched)


@pytest.mark.cassandra
class TestCassandraMetricBackend(MetricBackendContract):
    @pytest.fixture
    async def backend(self, cassandra_keyspace: str) -> AsyncIterator[MetricBackend]:
        backend = CassandraMetricBackend(cassandra_config(cassandra_keyspace))
        await backend.configure()
        yield backend
        await backend.close()


@pytest.mark.bigtable
@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_bigtable_configure_true_creates_the_table_on_first_use(anyio_backend: str) -> None:
    table = f"auto-{uuid.uuid4().hex[:8]}"
    config = bigtable_config(table).model_copy(update={"configure": True})
    backend = BigtableMetricBackend(config)
    try:
        await backend.write(Series("k"), Points.of([(5, 1.0)]))
        assert [p.value for p in await backend.fetch(Series("k"), DateRange(0, 10))] == [1.0]
        assert (await backend.configure()).created == ()
    finally:
        await backend.close()


@pytest.mark.cassandra
@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_cassandra_configure_true_creates_the_schema_on_first_use(anyio_backend: str) -> None:
    keyspace = f"auto_{uuid.uuid4().hex[:8]}"
    config = cassandra_config(keyspace).model_copy(update={"configure": True})
    backend = CassandraMetricBackend(config)
    try:
        await backend.write(Series("k"), Points.of([(5, 1.0)]))
        assert [p.value for p in await backend.fetch(Series("k"), DateRange(0, 10))] == [1.0]
    finally:
        await backend.close()
        drop_keyspace(keyspace)


@pytest.mark.bigtable
@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_bigtable_configure_adds_only_missing_families(anyio_backend: str) -> None:
    from google.cloud.bigtable import Client  # noqa: PLC0415 - only with the emulator up

    table_id = f"partial-{uuid.uuid4().hex[:8]}"
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Connecting to Bigtable emulator")
        table = Client(project="heroic-test", admin=True).instance("heroic").table(table_id)
    table.create(column_families={"points": None})
    backend = BigtableMetricBackend(bigtable_config(table_id))
    try:
        await backend.write(Series("k"), Points.of([(5, 1.0)]))
        result = await backend.configure()
        assert result.created == (
            f"bigtable column family heroic/{table_id}:distributionPoints",
            f"bigtable column family heroic/{table_id}:events",
        )
        assert f"bigtable table heroic/{table_id}" in result.existing
        assert [p.value for p in await backend.fetch(Series("k"), DateRange(0, 10))] == [1.0]
    finally:
        await backend.close()
        table.delete()
