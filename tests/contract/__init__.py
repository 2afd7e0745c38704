"""Reusable contract suites: the behaviour every metric, metadata and suggest backend shares.

Subclass a contract in a test module and provide the ``backend`` fixture (an async generator
yielding a fresh, configured backend, closing it afterwards)::

    class TestMemoryMetricBackend(MetricBackendContract):
        @pytest.fixture
        async def backend(self) -> AsyncIterator[MetricBackend]:
            yield MemoryMetricBackend()

Every series a test writes carries a unique ``contract`` tag and every query filters on it, so
the suites also run against shared, non-empty stores (Elasticsearch, Cassandra, Bigtable).
Stores that make writes visible later override ``settle(backend)`` (e.g. an index refresh).
"""
